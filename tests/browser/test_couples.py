"""Couples in real Chromium: the therapist links two demo clients and assigns them *Interdependence in
Relationships*; each partner answers on a 360 px phone through their own link (one stops half-way and
comes back); the therapist opens the couple report. axe-core checks every client page (no violation)
and the report (nothing serious). Screenshots of each step go to test-artifacts/browser/.
"""

from __future__ import annotations

import re

import pytest

from clients.couples.models import Couple, CoupleAssignment, CoupleAssignmentStatus
from clients.models import Client
from tests.browser.conftest import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINK = re.compile(r"(http://[^\s\"<>]+/q/[A-Za-z0-9_-]{43}/)")


@pytest.fixture
def partners(demo, bundled_questionnaire, smtp, settings, live_server):
    settings.TANDEM_SITE_URL = live_server.url
    assert bundled_questionnaire.couples
    cara, dan = Client.objects.get(first_name="Cara"), Client.objects.get(first_name="Daniel")
    assert cara.consent_questionnaires and dan.consent_questionnaires  # the demo's active clients agreed
    return cara, dan


def links_by_recipient(smtp) -> dict[str, str]:
    found = {}
    for message in smtp.wait_for(2):
        text = message.get_body(preferencelist=("plain",)).get_content()
        assert "Interdependence" not in str(message["Subject"]) + text  # links only, never what it is about
        found[str(message["To"]).lower()] = LINK.search(text).group(1)
    return found


def assert_accessible(page, where: str) -> None:
    violations = axe_violations(page)
    assert violations == [], f"axe-core on the {where}: {violations}"


def answer_page(page, choice: int) -> None:
    for group in page.locator("fieldset.question").all():
        group.locator("label.choice").nth(choice).click()


def test_a_couple_answers_on_their_phones_and_the_therapist_reads_the_report(
    page, phone, live_server, partners, smtp, sign_in, screenshot
):
    cara, dan = partners
    sign_in("tess@demo", "tandem-demo-tess")

    # The therapist links Cara and Dan as a couple.
    page.goto(f"{live_server.url}/admin/clients/couple/add/")
    page.get_by_label("Partner:", exact=True).select_option(label="Cara Whitfield")
    page.get_by_label("Other partner:").select_option(label="Dan Moss")
    screenshot("1-link-the-couple")
    page.get_by_role("button", name="Save and continue editing").click()
    page.wait_for_selector("text=was added successfully")
    couple = Couple.objects.get(partner_a=cara)
    assert couple.partner_b == dan

    # ... and assigns them the questionnaire, each with their own link.
    page.get_by_role("link", name="Assign a questionnaire to the couple").click()
    page.get_by_label("Questionnaire").select_option(label="Interdependence in Relationships (version 1.1, published)")
    page.get_by_label("Show the second partner the questions in another order").check()
    screenshot("2-assign-to-both")
    page.get_by_role("button", name="Assign to both").click()
    page.wait_for_selector("text=each gets their own invitation")
    screenshot("3-report-waiting")
    links = links_by_recipient(smtp)
    assert set(links) == {cara.email, dan.email} and links[cara.email] != links[dan.email]

    # Cara answers two pages, stops, and comes back later through the same link.
    first = phone.new_page()
    first.goto(links[cara.email])
    assert_accessible(first, "start page")
    screenshot("4-cara-start", on=first)
    first.get_by_role("link", name="Start").click()
    assert first.get_by_text("Page 1 of 3").is_visible()
    assert_accessible(first, "form page")
    answer_page(first, 3)
    first.get_by_role("button", name="Save and continue").click()
    answer_page(first, 3)
    screenshot("5-cara-page-2", on=first)
    first.get_by_role("button", name="Save and finish later").click()
    assert first.get_by_role("heading", name="Your answers are saved").is_visible()
    assert_accessible(first, "saved page")
    first.close()
    later = phone.new_page()
    later.goto(links[cara.email])
    assert later.get_by_text("You have answered 18 of 27 questions so far.").is_visible()
    later.get_by_role("link", name="Continue where you left off").click()
    assert later.get_by_text("Page 3 of 3").is_visible()
    answer_page(later, 3)
    later.get_by_role("button", name="Save and continue").click()
    assert later.get_by_role("heading", name="Check your answers").is_visible()
    assert_accessible(later, "review page")
    later.get_by_role("button", name="Send my answers").click()
    assert later.get_by_role("heading", name="Thank you").is_visible()
    screenshot("6-cara-thank-you", on=later)
    assert_accessible(later, "thank-you page")

    # Dan answers on his own phone, in his own order, never seeing Cara's answers.
    second = phone.new_page()
    second.goto(links[dan.email])
    second.get_by_role("link", name="Start").click()
    assert second.locator("input[type=radio]:checked").count() == 0
    for number in (1, 2, 3):
        assert second.get_by_text(f"Page {number} of 3").is_visible()
        answer_page(second, 1 if number == 1 else 3)
        if number == 1:
            screenshot("7-dan-page-1", on=second)
            assert_accessible(second, "the second partner's form page")
        second.get_by_role("button", name="Save and continue").click()
    assert second.get_by_role("heading", name="Check your answers").is_visible()
    second.get_by_role("button", name="Send my answers").click()
    assert second.get_by_role("heading", name="Thank you").is_visible()
    assert_accessible(second, "the second partner's thank-you page")

    # The therapist opens the couple report.
    pair = CoupleAssignment.objects.get(couple=couple)
    assert pair.status == CoupleAssignmentStatus.COMPLETED
    page.goto(f"{live_server.url}/admin/clients/coupleassignment/{pair.pk}/change/")
    assert page.get_by_role("heading", name="Scores side by side").is_visible()
    assert page.get_by_role("heading", name=re.compile(r"Shared strengths \(\d+\)")).is_visible()
    assert page.get_by_role("heading", name=re.compile(r"Different views \(\d+\)")).is_visible()
    assert page.locator("figure.trend").count() >= 3
    screenshot("8-couple-report")
    serious = [v for v in axe_violations(page) if v["impact"] in ("serious", "critical")]
    assert serious == [], f"axe-core on the couple report: {serious}"
