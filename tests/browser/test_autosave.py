"""No answer lost: a client closes the tab halfway through page 2 and comes back to find every answer."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from assessments import links
from assessments.assignments import assignment_create
from assessments.models import Assignment
from clients.models import Channel, Client
from clients.services import consent_set
from tests.browser.conftest import axe_violations, watch_csp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def link(demo, bundled_questionnaire, live_server) -> str:
    cara = Client.objects.get(first_name="Cara")
    consent_set(client=cara, channel=Channel.QUESTIONNAIRES, given=True, source="told the therapist in session")
    assignment = assignment_create(version=bundled_questionnaire, respondent=cara)
    return f"{live_server.url}/q/{links.link_issue(assignment=assignment)}/"


def tap(page, question, choice: int) -> None:
    question.locator("label.choice").nth(choice).click()


def test_answers_given_before_the_tab_closes_are_all_there_on_coming_back(phone, link, screenshot):
    client_page = phone.new_page()
    csp = watch_csp(client_page)
    client_page.goto(link)
    client_page.get_by_role("link", name="Start").click()
    for question in client_page.locator("fieldset.question").all():
        tap(client_page, question, 3)
    client_page.get_by_role("button", name="Save and continue").click()
    assert client_page.get_by_text("Page 2 of 3").is_visible()
    questions = client_page.locator("fieldset.question").all()
    for question in questions[:4]:
        with client_page.expect_response(lambda response: response.url.endswith("/autosave/")) as saved:
            tap(client_page, question, 1)
        assert saved.value.status == 204, "each answer is saved as it is given"
    # The page says so, to everyone and to screen readers.
    expect(client_page.get_by_role("status")).to_have_text("Your answers so far are saved.")
    assert csp() == [], "the autosave script runs under the Content-Security-Policy"
    assert [v for v in axe_violations(client_page) if v["impact"] in ("serious", "critical")] == []
    screenshot("1-halfway-through-page-2", on=client_page)
    client_page.close()  # the tab is closed: no button pressed on page 2

    assignment = Assignment.objects.get(respondent__first_name="Cara")  # the demo has couples with assignments too
    assert len(assignment.draft_answers) == 9 + 4

    later = phone.new_page()
    later.goto(link)
    assert later.get_by_text("You have answered 13 of 27 questions so far.").is_visible()
    screenshot("2-coming-back", on=later)
    later.get_by_role("link", name="Continue where you left off").click()
    assert later.get_by_text("Page 2 of 3").is_visible(), "the first page with a question still to answer"
    checked = later.locator("fieldset.question").evaluate_all(
        "groups => groups.map(g => (g.querySelector('input:checked') || {}).value || null)"
    )
    assert None not in checked[:4] and set(checked[4:]) == {None}, checked
    screenshot("3-every-answer-there", on=later)
    later.get_by_role("button", name="Back").click()
    assert later.locator("input[type=radio]:checked").count() == 9, "page 1 kept too"
