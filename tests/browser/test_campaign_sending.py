"""Sending the newsletter in a real browser: the owner confirms with the count; a therapist is refused."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from practice.models import Practice
from practice.newsletter.models import Campaign, CampaignStatus, Subscriber, SubscriberStatus
from tests.browser.conftest import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def campaign(demo) -> Campaign:
    practice = Practice.objects.get(name__startswith="Harbour Light")
    for n in range(12):
        Subscriber.objects.create(practice=practice, email=f"reader{n}@mail.example", status=SubscriberStatus.CONFIRMED)
    Subscriber.objects.create(practice=practice, email="unsure@mail.example", status=SubscriberStatus.PENDING)
    return Campaign.objects.create(practice=practice, subject="Spring news", body_markdown="## Hello\n\nNew groups.")


def serious(page) -> list[dict]:
    return [v for v in axe_violations(page) if v["impact"] in ("serious", "critical")]


def test_the_owner_is_told_how_many_will_receive_it_before_it_goes(page, live_server, sign_in, campaign, screenshot):
    sign_in("tess@demo", "tandem-demo-tess")
    page.goto(f"{live_server.url}/admin/newsletter/campaign/{campaign.pk}/change/")
    page.get_by_role("button", name="Send now").click()
    expect(page.get_by_role("heading", name="Send the newsletter now?")).to_be_visible()
    assert page.get_by_text("“Spring news” will be sent now to 12 subscribers.").is_visible()
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.DRAFT, "nothing is sent before yes"
    screenshot("send-confirmation")
    assert serious(page) == []
    page.get_by_role("button", name="Yes, send it now").click()
    expect(page.get_by_text("The campaign is being sent to 12 subscribers.")).to_be_visible()
    assert Campaign.objects.get(pk=campaign.pk).status != CampaignStatus.DRAFT


def test_a_therapist_is_refused_when_sending_the_newsletter(page, live_server, sign_in, campaign, screenshot):
    sign_in("uma@demo", "tandem-demo-uma")
    page.goto(f"{live_server.url}/admin/newsletter/campaign/{campaign.pk}/change/")
    assert page.get_by_role("button", name="Send a test to myself").is_visible()
    assert page.get_by_role("button", name="Send now").count() == 0
    assert page.get_by_text("Only the practice’s owners can send").is_visible()  # noqa: RUF001
    screenshot("campaign-as-therapist")
    response = page.goto(f"{live_server.url}/admin/newsletter/campaign/{campaign.pk}/campaign/send/")
    assert response.status == 403
    screenshot("refused")
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.DRAFT
