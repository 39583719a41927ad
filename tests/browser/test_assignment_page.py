"""The assignment's page in a real browser: its buttons, each asked first, and its timeline."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from assessments import assignments
from assessments.models import Assignment
from clients.models import Channel, Client
from clients.services import consent_set
from tests.browser.conftest import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def serious(page) -> list[dict]:
    return [v for v in axe_violations(page) if v["impact"] in ("serious", "critical")]


def test_the_therapist_gives_more_days_from_the_assignment_page(
    page, live_server, sign_in, demo, bundled_questionnaire, screenshot
):
    cara = Client.objects.get(first_name="Cara")
    consent_set(client=cara, channel=Channel.QUESTIONNAIRES, given=True, source="told the therapist in session")
    assignment = assignments.assignment_create(version=bundled_questionnaire, respondent=cara)
    expires = Assignment.objects.get(pk=assignment.pk).expires_at
    sign_in("tess@demo", "tandem-demo-tess")
    page.goto(f"{live_server.url}/admin/assessments/assignment/{assignment.pk}/change/")
    for label in ("Send again", "Give 7 more days", "Cancel"):
        assert page.get_by_role("link", name=label, exact=True).is_visible()
    assert page.locator(".assignment-timeline").get_by_text("Sent").first.is_visible()
    screenshot("assignment-page")
    assert serious(page) == []
    page.get_by_role("link", name="Give 7 more days").click()
    expect(page.get_by_text("The link will work until")).to_be_visible()
    screenshot("confirmation")
    assert serious(page) == []
    page.get_by_role("button", name="Yes, give 7 more days").click()
    expect(page.get_by_text("The link works 7 days longer.")).to_be_visible()
    assert (Assignment.objects.get(pk=assignment.pk).expires_at - expires).days == 7
