"""The admin's own 403, 404 and 500 pages: Tandem's header and words; public pages keep Django's defaults."""

from __future__ import annotations

from django.test import RequestFactory
from django.urls import reverse

from practice import errors
from practice.newsletter.models import Campaign


def test_a_therapist_refused_an_owners_action_gets_tandems_403(client, uma, tess, harbour):
    campaign = Campaign.objects.create(practice=harbour, subject="Spring news", body_markdown="Hi", created_by=tess)
    client.force_login(uma)
    response = client.post(reverse("admin:newsletter_campaign_action", args=[campaign.pk, "send"]))
    html = response.content.decode()
    assert response.status_code == 403
    assert "This is not for your account" in html and "for the practice’s owners" in html  # noqa: RUF001
    assert 'id="site-name"' in html and "Log out" in html and "Back to the front page" in html


def test_someone_elses_client_is_tandems_404_in_the_admin_and_django_default_elsewhere(client, uma, cara):
    client.force_login(uma)
    response = client.get(reverse("admin:clients_client_change", args=[cara.pk]))
    assert response.status_code == 404 and "There is nothing here" in response.content.decode()
    public = client.get("/no-such-page/")
    assert public.status_code == 404 and "There is nothing here" not in public.content.decode()


def test_the_500_page_needs_nothing_but_templates():
    response = errors.server_error(RequestFactory().get("/admin/clients/client/"))
    assert response.status_code == 500 and "Something went wrong on our side" in response.content.decode()
    assert errors.server_error(RequestFactory().get("/newsletter/1/subscribe/")).status_code == 500
