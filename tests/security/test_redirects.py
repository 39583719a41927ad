"""No ``next`` sends anyone off the site: admin login, logout and the two-factor pages."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

PAYLOADS = [
    "//evil.example",
    "//evil.example/admin/",
    "https:evil.example",
    "https:/evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\\evil.example",
    "testserver@evil.example",
    "//testserver@evil.example",
    "https://testserver@evil.example/",
    "https://evil.example",
    "http://evil.example/admin/",
    "HTTPS://EVIL.EXAMPLE",
    " //evil.example",
    "\t//evil.example",
    "/%09/evil.example",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "ftp://evil.example",
    "///evil.example",
    "/admin/\r\nLocation: https://evil.example",
]


def stays_here(location: str) -> bool:
    parts = urlsplit(location.strip())
    return parts.scheme in ("", "https", "http") and parts.netloc in ("", "testserver") and "evil" not in parts.netloc


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}"


@pytest.mark.parametrize("target", PAYLOADS)
def test_admin_login_never_leaves_the_site(client, tess, target):
    response = client.post(reverse("admin:login"), {"username": "tess", "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert stays_here(response["Location"]), response["Location"]


@pytest.mark.parametrize("target", PAYLOADS)
def test_admin_logout_never_leaves_the_site(client, tess, target):
    client.force_login(tess)
    response = client.post(reverse("admin:logout"), {"next": target})
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert stays_here(response["Location"]), response["Location"]


@pytest.mark.parametrize("target", PAYLOADS)
def test_two_factor_verification_never_leaves_the_site(client, settings, tess, target):
    settings.TANDEM_REQUIRE_2FA = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    device = TOTPDevice.objects.create(user=tess, name="phone", confirmed=True)
    client.force_login(tess)
    response = client.post(reverse("two_factor:verify"), {"token": code_for(device), "next": target})
    assert response.status_code == 302
    assert stays_here(response["Location"]), response["Location"]


@pytest.mark.parametrize("target", PAYLOADS)
def test_two_factor_enrolment_never_leaves_the_site(client, settings, tess, target):
    from practice.accounts.enrolment import enrolment_link_issue, mint_for_email

    settings.TANDEM_REQUIRE_2FA = True
    client.force_login(tess)
    link, _printed = enrolment_link_issue(user=tess)
    client.get(mint_for_email(link.pk).removeprefix(settings.TANDEM_SITE_URL))
    page = client.get(reverse("two_factor:setup"), {"next": target}).content.decode()
    kept = html.unescape(re.search(r'name="next" value="([^"]*)"', page).group(1))
    assert stays_here(kept) and kept.startswith("/"), kept
    device = TOTPDevice.objects.get(user=tess)
    response = client.post(reverse("two_factor:setup"), {"token": code_for(device), "next": target})
    assert response.status_code == 302
    codes_page = client.get(response["Location"]).content.decode()
    onward = html.unescape(re.search(r'<a class="button" href="([^"]*)"', codes_page).group(1))
    assert stays_here(onward) and onward.startswith("/"), onward


def test_a_local_next_is_kept(client, settings, tess):
    settings.TANDEM_REQUIRE_2FA = True
    device = TOTPDevice.objects.create(user=tess, name="phone", confirmed=True)
    client.force_login(tess)
    response = client.post(reverse("two_factor:verify"), {"token": code_for(device), "next": "/admin/clients/"})
    assert response["Location"] == "/admin/clients/"
