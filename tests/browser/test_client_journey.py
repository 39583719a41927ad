"""The whole journey in real Chromium: a therapist assigns, the client answers on a phone, the therapist reads.

The invitation is taken from a real SMTP server (aiosmtpd); the client's browser is 360 by 740.
One walk uses the mouse (tapping), the other the keyboard alone. axe-core checks every client page.
"""

from __future__ import annotations

import re

import pytest

from assessments.assignments import assignment_create, assignment_dispatch
from assessments.models import Assignment, AssignmentStatus
from clients.models import Channel, Client
from clients.services import consent_set
from practice.mail import outbox
from tests.browser.conftest import axe_violations, watch_csp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINK = re.compile(r"(http://[^\s\"<>]+/q/[A-Za-z0-9_-]{43}/)")


@pytest.fixture
def journey(demo, bundled_questionnaire, smtp, settings, live_server, sign_in):
    settings.TANDEM_SITE_URL = live_server.url
    cara = Client.objects.get(first_name="Cara")
    consent_set(client=cara, channel=Channel.QUESTIONNAIRES, given=True, source="told the therapist in session")
    return cara


def assign_in_the_admin(page, live_server, screenshot, cara) -> None:
    page.goto(f"{live_server.url}/admin/clients/client/")
    page.get_by_role("link", name="Cara Whitfield").click()
    screenshot("1-client-page")
    page.get_by_role("link", name="Assign a questionnaire").click()
    page.get_by_label("Questionnaire").select_option(label="Interdependence in Relationships")
    page.get_by_label("Personal message").fill("Before our session on Tuesday, if you can.")
    screenshot("2-assign-form")
    page.get_by_role("button", name="Assign").click()
    page.wait_for_url(f"**/admin/clients/client/{cara.pk}/change/")
    assert page.get_by_text("Assigned to 1 client; the invitation is on its way.").is_visible()


def invitation_link(smtp) -> str:
    [message] = smtp.wait_for(1)
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Interdependence" not in str(message["Subject"]) + text
    return LINK.search(text).group(1)


def assert_accessible(page, where: str) -> None:
    violations = axe_violations(page)
    assert violations == [], f"axe-core on the {where}: {violations}"


def answer_page_by_tapping(page, choice: int) -> None:
    for group in page.locator("fieldset.question").all():
        group.locator("label.choice").nth(choice).click()


def test_the_whole_journey_by_touch(page, phone, live_server, journey, smtp, sign_in, screenshot, configured_output):
    """Under the Content-Security-Policy, with no violation; the logs never hold the link or the address."""
    cara = journey
    violations = [watch_csp(page)]
    sign_in("tess@demo", "tandem-demo-tess")
    assign_in_the_admin(page, live_server, screenshot, cara)
    link = invitation_link(smtp)

    client_page = phone.new_page()
    violations.append(watch_csp(client_page))
    client_page.goto(link)
    screenshot("3-start", on=client_page)
    assert client_page.get_by_text("Before our session on Tuesday").is_visible()
    client_page.get_by_role("link", name="Start").click()
    assert client_page.get_by_text("Page 1 of 3").is_visible()
    assert_accessible(client_page, "form page")
    client_page.get_by_role("button", name="Save and continue").click()  # nothing chosen yet
    assert client_page.get_by_role("heading", name="There is a problem").is_visible()
    screenshot("4-errors", on=client_page)
    assert_accessible(client_page, "form page with errors")
    answer_page_by_tapping(client_page, 3)
    screenshot("5-page-1-answered", on=client_page)
    client_page.get_by_role("button", name="Save and continue").click()
    answer_page_by_tapping(client_page, 1)
    client_page.get_by_role("button", name="Save and finish later").click()
    assert client_page.get_by_role("heading", name="Your answers are saved").is_visible()
    assert violations[1]() == [], "CSP violations on the client's pages"
    client_page.close()

    later = phone.new_page()  # the client comes back another day, through the same link
    violations.append(watch_csp(later))
    later.goto(link)
    assert later.get_by_text("You have answered 18 of 27 questions so far.").is_visible()
    later.get_by_role("link", name="Continue where you left off").click()
    assert later.get_by_text("Page 3 of 3").is_visible()  # the first page with a question still to answer
    later.get_by_role("button", name="Back").click()
    assert later.locator("input[type=radio]:checked").count() == 9
    later.get_by_role("button", name="Save and continue").click()
    answer_page_by_tapping(later, 2)
    later.get_by_role("button", name="Save and continue").click()
    assert later.get_by_role("heading", name="Check your answers").is_visible()
    screenshot("6-review", on=later)
    assert_accessible(later, "review page")
    later.get_by_role("button", name="Send my answers").click()
    assert later.get_by_role("heading", name="Thank you").is_visible()
    screenshot("7-thank-you", on=later)
    assert_accessible(later, "thank-you page")
    later.goto(link)
    assert later.get_by_role("heading", name="Your answers have already been sent").is_visible()
    assert_accessible(later, "used-link page")

    assignment = Assignment.objects.get(respondent__first_name="Cara")  # the demo has couples with assignments too
    assert assignment.status == AssignmentStatus.COMPLETED
    page.goto(f"{live_server.url}/admin/assessments/assignment/{assignment.pk}/change/")
    assert page.get_by_text("Completed").first.is_visible()
    scores = page.locator("table", has_text="Scale")
    assert scores.get_by_text("Total").is_visible()
    screenshot("8-therapist-sees-scores")
    assert len(smtp.wait_for(2)) == 2  # the invitation and the therapist's note
    assert violations[0]() == [] and violations[2]() == [], "CSP violations"
    logs = configured_output.getvalue()
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert "/q/[redacted]/" in logs, "the requests were logged, with the link redacted"
    for secret in (token, cara.email, "Before our session on Tuesday"):
        assert secret not in logs


UNANSWERED = "() => [...document.querySelectorAll('fieldset')].filter(f => !f.querySelector(':checked')).length"


def press_until(page, predicate: str, limit: int = 80) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(predicate):
            return
    raise AssertionError(f"Tab never reached {predicate}")


def answer_page_by_keyboard(page) -> None:
    """Tab into each radio group, pick an answer with the arrow keys, then press the first button."""
    unanswered = "() => [...document.querySelectorAll('fieldset')].filter(f => !f.querySelector(':checked')).length"
    while page.evaluate(unanswered):
        press_until(page, "() => document.activeElement.type === 'radio' && !document.activeElement.checked")
        page.keyboard.press("ArrowDown")  # moves to and chooses the second answer
    press_until(page, "() => document.activeElement.textContent.trim() === 'Save and continue'")
    page.keyboard.press("Enter")
    page.wait_for_load_state()


def test_the_client_can_do_it_all_with_the_keyboard(
    phone, live_server, journey, bundled_questionnaire, smtp, screenshot
):
    assignment = assignment_create(version=bundled_questionnaire, respondent=journey)
    assignment_dispatch(assignment_id=assignment.pk)
    outbox.drain()
    link = invitation_link(smtp)

    page = phone.new_page()
    page.goto(link)
    press_until(page, "() => document.activeElement.textContent.trim() === 'Start'")
    page.keyboard.press("Enter")
    for number in (1, 2, 3):
        page.wait_for_url(f"**/page/{number}/")
        answer_page_by_keyboard(page)
    page.wait_for_url("**/review/")
    screenshot("review-by-keyboard", on=page)
    press_until(page, "() => document.activeElement.textContent.trim() === 'Send my answers'")
    page.keyboard.press("Enter")
    page.wait_for_url("**/done/")
    assert page.get_by_role("heading", name="Thank you").is_visible()
    response = Assignment.objects.get(respondent__first_name="Cara").response
    assert set(response.answers.values()) == {"2"}  # every answer chosen with ArrowDown from the first

    for dead in ("not-a-real-link", link.rstrip("/").rsplit("/", 1)[1]):
        page.goto(f"{live_server.url}/q/{dead}/")
        assert page.locator("h1").is_visible()
        assert_accessible(page, f"dead-link page ({dead[:8]})")
