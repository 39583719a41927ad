"""The API's schema and documentation page: open in development, only for verified staff in production."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db

PAGES = ["/api/schema/", "/api/docs/"]


def verified(client: Client, user) -> Client:
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.force_login(user)
    code = f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}"
    assert client.post(reverse("two_factor:verify"), {"token": code}, secure=True).status_code == 302
    return client


@pytest.mark.parametrize("page", PAGES)
def test_in_production_a_visitor_is_sent_to_sign_in(production, client, page):
    response = client.get(page, secure=True)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login") + "?next=")


@pytest.mark.parametrize("page", PAGES)
def test_in_production_an_unverified_staff_session_is_refused(production, client, tess, page):
    TOTPDevice.objects.create(user=tess, name="phone", confirmed=True)
    client.force_login(tess)
    assert client.get(page, secure=True).status_code == 403


@pytest.mark.parametrize("page", PAGES)
def test_in_production_a_token_alone_does_not_open_the_schema(production, client, tess, page):
    from practice.accounts.tokens import api_token_create

    _token, raw = api_token_create(user=tess, name="script", days=30)
    assert client.get(page, secure=True, HTTP_AUTHORIZATION=f"Token {raw}").status_code == 302


@pytest.mark.parametrize("page", PAGES)
def test_in_production_a_verified_staff_session_reads_them(production, client, tess, page):
    response = verified(client, tess).get(page, secure=True)
    assert response.status_code == 200


def test_in_production_a_verified_session_that_is_not_staff_is_refused(production, client, tess):
    verified(client, tess)
    type(tess).objects.filter(pk=tess.pk).update(is_staff=False)
    assert client.get("/api/schema/", secure=True).status_code == 403


@pytest.mark.parametrize("page", PAGES)
def test_in_development_they_are_open(settings, client, page):
    settings.TANDEM_API_DOCS_PUBLIC = True
    assert client.get(page).status_code == 200
