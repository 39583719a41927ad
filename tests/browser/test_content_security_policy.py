"""The admin and the public pages work in Chromium under the Content-Security-Policy, with no violation.

The policy is on in every test run (django-csp sends it with DEBUG on or off); here two-factor
sign-in is required too, so the journey starts with enrolment, as a therapist's first sign-in does.
"""

from __future__ import annotations

import pytest
from django.core import mail
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.browser.conftest import watch_csp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def watched(page):
    """The page, recording CSP violations (DOM events and console reports) on every document it loads."""
    page.violations = watch_csp(page)
    return page


def current_code(username: str) -> str:
    device = TOTPDevice.objects.get(user__username=username)
    return f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}"


def test_enrolment_and_the_admin_work_under_the_policy(watched, live_server, demo, settings, screenshot):
    settings.TANDEM_REQUIRE_2FA = True
    page = watched
    base = live_server.url
    page.goto(f"{base}/admin/")
    page.get_by_label("Username").fill("tess@demo")
    page.get_by_label("Password").fill("tandem-demo-tess")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/two-factor/setup/**")
    page.get_by_role("button", name="Email me a link").click()  # enrolling takes the link from the email
    assert page.locator(".two-factor-sent").is_visible()
    emailed = next(m for m in reversed(mail.outbox) if "tess@harbourlight.example" in m.to)
    link = next(word for word in emailed.body.split() if "/admin/two-factor/enrol/" in word)
    page.goto(base + link[link.index("/admin/") :])
    page.wait_for_url("**/admin/two-factor/setup/**")
    assert page.locator(".two-factor-qr svg").is_visible()
    assert len(page.locator("#two-factor-key").inner_text().replace(" ", "")) == 32
    screenshot("1-enrol")
    page.get_by_label("Code").fill(current_code("tess@demo"))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    page.wait_for_url("**/admin/two-factor/backup-codes/**")
    assert page.locator(".two-factor-codes li").count() == 10
    screenshot("2-backup-codes")
    page.get_by_role("link", name="Continue").click()
    page.wait_for_url(f"{base}/admin/")
    assert page.violations() == []

    for path in (
        "/admin/clients/client/",
        "/admin/clients/client/add/",
        "/admin/practice/practice/",
        "/admin/newsletter/campaign/",
        "/admin/newsletter/campaign/add/",
        "/admin/mail/outboundemail/",
        "/admin/newsletter/subscriber/",
        "/admin/assessments/instrument/",
        "/admin/assessments/assignment/",
    ):
        page.goto(base + path)
        assert page.locator("#content").is_visible(), path
    # the admin's own scripts run: the date widget's shortcuts appear only through JavaScript
    page.goto(f"{base}/admin/clients/client/add/")
    if page.locator("input.vDateField").count():
        assert page.locator(".datetimeshortcuts").first.is_visible()
    first_client = page.goto(f"{base}/admin/clients/client/")
    assert first_client.ok
    page.locator("#result_list tbody tr th a").first.click()
    page.wait_for_load_state("load")
    screenshot("3-client")
    assert page.violations() == []


def test_the_public_pages_work_under_the_policy(watched, live_server, demo, screenshot):
    from practice.models import Practice

    page = watched
    practice = Practice.objects.order_by("pk").first()
    page.goto(f"{live_server.url}/newsletter/{practice.pk}/subscribe/")
    page.get_by_label("Your email address").fill("reader@example.net")
    page.locator("input[name=consent]").check()
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_url("**/subscribe/thanks/")
    for path in (f"/newsletter/{practice.pk}/embed/", "/newsletter/confirm/not-a-token/", "/q/not-a-token/"):
        page.goto(live_server.url + path)
    screenshot("invalid-link")
    assert page.violations() == []
    # and the watch would see one: an injected inline script is blocked and reported
    page.evaluate(
        "document.body.append(Object.assign(document.createElement('script'), {textContent: 'window.ran = 1'}))"
    )
    assert page.evaluate("window.ran") is None
    assert any("script-src" in violation for violation in page.violations())
