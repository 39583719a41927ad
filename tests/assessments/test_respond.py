"""The respondent's pages: one private link, pages that save, a review, one submission, calm dead ends."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import assignments
from assessments.models import Assignment, AssignmentStatus, Response
from tests.assessments.conftest import small_document


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()


def url(token: str, name: str = "start", *args) -> str:
    return reverse(f"assessments:{name}", args=[token, *args])


def expire(assignment: Assignment) -> None:
    Assignment.objects.filter(pk=assignment.pk).update(
        send_at=timezone.now() - timedelta(days=15), expires_at=timezone.now() - timedelta(minutes=1)
    )


def assert_private(response) -> None:
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response["X-Robots-Tag"]
    assert b"noindex" in response.content


def test_the_start_page_greets_and_records_the_first_opening(client, open_assignment):
    assignment, token = open_assignment(message="Take your time.")
    response = client.get(url(token))
    assert response.status_code == 200
    assert_private(response)
    assert b"Mood check" in response.content and b"Take your time." in response.content
    assert b"Harbour Light" in response.content  # the practice's name, from Tandem's hooks
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.OPENED and assignment.opened_at is not None
    first_opened = assignment.opened_at
    client.get(url(token))
    assignment.refresh_from_db()
    assert assignment.opened_at == first_opened


def test_a_get_changes_nothing_but_the_opened_time(client, open_assignment):
    assignment, token = open_assignment()
    before = Assignment.objects.filter(pk=assignment.pk).values().get()
    client.get(url(token))
    client.get(url(token, "page", 1))
    client.head(url(token, "review"))
    after = Assignment.objects.filter(pk=assignment.pk).values().get()
    changed = {key for key in before if before[key] != after[key]}
    assert changed == {"opened_at", "status"}


@pytest.mark.parametrize(
    ("problem", "status", "heading"),
    [
        ("unknown", 404, b"This link does not work"),
        ("expired", 410, b"This link has expired"),
        ("cancelled", 410, b"This link is no longer needed"),
        ("used", 410, b"Your answers have already been sent"),
        ("resent", 404, b"This link does not work"),
    ],
)
def test_a_dead_link_gets_a_calm_page_that_reveals_nothing(client, open_assignment, problem, status, heading):
    assignment, token = open_assignment()
    if problem == "unknown":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    elif problem == "expired":
        expire(assignment)
    elif problem == "cancelled":
        assignments.assignment_cancel(assignment=assignment)
    elif problem == "used":
        Assignment.objects.filter(pk=assignment.pk).update(
            status=AssignmentStatus.COMPLETED, completed_at=timezone.now() - timedelta(days=1)
        )
    elif problem == "resent":
        assignments.assignment_resend(assignment=assignment)
    for path in (url(token), url(token, "page", 1), url(token, "review"), url(token, "done")):
        response = client.get(path)
        assert response.status_code == status, path
        assert_private(response)
        assert heading in response.content
        body = response.content.decode()
        for secret in ("Cara", "Mood check", "Harbour Light", assignment.respondent.email, "Feeling low"):
            assert secret not in body
        assert "http://" not in body.replace("http://testserver", "") and "https://" not in body


def test_the_form_page_is_accessible_markup(client, open_assignment):
    _assignment, token = open_assignment()
    response = client.get(url(token, "page", 1))
    body = response.content.decode()
    assert response.status_code == 200
    assert_private(response)
    assert body.count("<fieldset") == body.count("<legend>") == 2  # low and calm; harm waits for its condition
    assert "Thoughts of harming yourself" not in body
    assert '<label for="q5">Anything else?' in body and 'id="q5"' in body
    assert 'lang="en-GB"' in body and 'name="viewport"' in body
    assert "<progress" in body and "Page 1 of 1" in body
    assert re.findall(r"<script[^>]*>", body) == ['<script src="/static/assessments/autosave.js" defer>']


def test_a_missing_required_answer_is_explained_and_what_was_answered_is_kept(client, open_assignment):
    assignment, token = open_assignment()
    response = client.post(url(token, "page", 1), {"item-calm": "2", "action": "next"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body and 'href="#q2"' in body
    assert 'id="q2-error"' in body and 'aria-describedby="q2-error"' in body
    assert 'value="2" checked' in body  # what the client did answer is still on the page
    assignment.refresh_from_db()
    assert assignment.draft_answers == {"calm": "2"} and assignment.status == AssignmentStatus.IN_PROGRESS
    assert 'name="item-calm" value="2" checked' in client.get(url(token, "page", 1)).content.decode()


def test_answers_are_saved_page_by_page_and_the_link_resumes(client, make_document, open_assignment):
    doc = two_page_document()
    assignment, token = open_assignment(doc)
    response = client.post(url(token, "page", 1), {"item-low": "0", "item-calm": "3", "action": "next"})
    assert response.status_code == 303 and response["Location"] == url(token, "page", 2)
    assignment.refresh_from_db()
    assert assignment.draft_answers == {"low": "0", "calm": "3"}
    assert assignment.status == AssignmentStatus.IN_PROGRESS and assignment.last_page == 1
    client.post(url(token, "page", 2), {"item-notes": "A busy week", "action": "save"})
    start = client.get(url(token)).content.decode()
    assert "Continue where you left off" in start and "You have answered 3 of 3 questions" in start
    assert url(token, "review") in start  # nothing required is left unanswered
    page_two = client.get(url(token, "page", 2)).content.decode()
    assert "A busy week</textarea>" in page_two
    page_one = client.get(url(token, "page", 1)).content.decode()
    assert 'name="item-low" value="0" checked' in page_one


def test_an_answer_that_opens_a_question_shows_it_on_the_same_page(client, open_assignment):
    _assignment, token = open_assignment()
    response = client.post(url(token, "page", 1), {"item-low": "2", "action": "next"})
    assert response.status_code == 303 and response["Location"] == url(token, "page", 1) + "?more=1"
    page = client.get(response["Location"]).content.decode()
    assert "Thoughts of harming yourself" in page and "opened another question" in page
    response = client.post(url(token, "page", 1), {"item-low": "0", "action": "next"})
    assert response["Location"] == url(token, "review")


def test_back_saves_without_insisting_and_goes_to_the_previous_page(client, open_assignment):
    _assignment, token = open_assignment(two_page_document())
    client.post(url(token, "page", 1), {"item-low": "0", "action": "next"})
    response = client.post(url(token, "page", 2), {"item-notes": "", "action": "back"})
    assert response.status_code == 303 and response["Location"] == url(token, "page", 1)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"item-low": "9"}, "Please choose one of the answers shown."),
        ({"item-low": "1", "item-nope": "1"}, "Nothing was saved"),
        ({"item-low": "1", "item-notes": "x" * 5001}, "under 5000 characters"),
        ({"item-low": "1", "item-notes": "null\x00byte"}, "Null characters are not allowed."),
        ({"item-low": ["1", "2"], "item-calm": "<script>alert(1)</script>"}, "Please choose one of the answers shown."),
    ],
    ids=["out-of-range", "forged-key", "too-long", "null-byte", "script"],
)
def test_hostile_answers_are_refused_clearly_and_change_nothing(client, open_assignment, data, expected):
    assignment, token = open_assignment()
    client.post(url(token, "page", 1), {"item-low": "0", "action": "save"})
    response = client.post(url(token, "page", 1), {**data, "action": "next"})
    assert response.status_code == 400
    assert expected in response.content.decode()
    assert b"<script>alert" not in response.content
    assignment.refresh_from_db()
    assert assignment.draft_answers == {"low": "0"}


def test_another_page_or_another_questionnaire_cannot_be_answered_through_this_page(client, open_assignment):
    assignment, token = open_assignment(two_page_document())
    response = client.post(url(token, "page", 1), {"item-low": "1", "item-notes": "from page two", "action": "next"})
    assert response.status_code == 400 and b"Nothing was saved" in response.content
    other, _other_token = open_assignment(small_document("other-check"))
    response = client.post(url(token, "page", 1), {"item-low": "1", f"item-{other.pk}": "1", "action": "next"})
    assert response.status_code == 400
    assignment.refresh_from_db()
    assert assignment.draft_answers == {}


def test_an_oversized_body_is_refused_before_it_is_read(client, open_assignment):
    assignment, token = open_assignment()
    response = client.post(url(token, "page", 1), {"item-notes": "x" * 70_000, "item-low": "1"})
    assert response.status_code == 413 and b"too much to send" in response.content
    assignment.refresh_from_db()
    assert assignment.draft_answers == {}


def test_review_lists_the_answers_and_submitting_scores_them_once(client, open_assignment):
    assignment, token = open_assignment()
    client.post(url(token, "page", 1), {"item-low": "2", "action": "next"})
    client.post(url(token, "page", 1), {"item-low": "2", "item-calm": "0", "item-harm": "1", "action": "next"})
    review = client.get(url(token, "review")).content.decode()
    assert "More than half the days" in review and "Not answered" in review  # notes left empty
    response = client.post(url(token, "review"))
    assert response.status_code == 303 and response["Location"] == url(token, "done")
    done = client.get(url(token, "done"))
    assert done.status_code == 200 and b"Thank you" in done.content and b"Your scores" not in done.content
    assignment.refresh_from_db()
    response_row = Response.objects.get()
    assert assignment.status == AssignmentStatus.COMPLETED and assignment.response == response_row
    assert assignment.draft_answers == {}
    assert response_row.answers == {"low": "2", "calm": "0", "harm": "1"}
    assert response_row.scores["scales"]["total"]["value"] == 2 + 3 + 1  # calm is reverse-keyed
    assert response_row.flagged and response_row.scores["risk_flags"][0]["item"] == "harm"
    again = client.post(url(token, "review"))
    assert again.status_code == 410 and b"already been sent" in again.content
    assert Response.objects.count() == 1
    assert client.post(url(token, "page", 1), {"item-low": "0"}).status_code == 410
    assert Response.objects.get().answers["low"] == "2"


def test_submitting_with_a_required_answer_missing_points_at_it(client, open_assignment):
    _assignment, token = open_assignment()
    response = client.post(url(token, "review"))
    assert response.status_code == 303 and response["Location"] == url(token, "page", 1) + "?check=1"
    page = client.get(response["Location"]).content.decode()
    assert "Please answer this question." in page and 'href="#q2"' in page
    assert not Response.objects.exists()


def test_answers_to_a_question_hidden_later_are_not_submitted(client, open_assignment):
    _assignment, token = open_assignment()
    client.post(url(token, "page", 1), {"item-low": "2", "item-harm": "3", "action": "save"})
    client.post(url(token, "page", 1), {"item-low": "0", "action": "next"})
    client.post(url(token, "review"))
    stored = Response.objects.get()
    assert "harm" not in stored.answers and not stored.flagged


def test_released_scores_are_shown_after_submitting_and_only_for_a_while(client, open_assignment, settings):
    assignment, token = open_assignment(release_scores=True)
    client.post(url(token, "page", 1), {"item-low": "1", "item-calm": "3", "item-harm": "0", "action": "next"})
    client.post(url(token, "review"))
    done = client.get(url(token, "done")).content.decode()
    assert "Your scores" in done and "Total" in done and "Low" in done
    Assignment.objects.filter(pk=assignment.pk).update(completed_at=timezone.now() - timedelta(hours=2))
    later = client.get(url(token, "done"))
    assert later.status_code == 410 and b"Your scores" not in later.content


@pytest.mark.parametrize("state", ["expired", "cancelled", "resent"])
def test_a_closed_link_cannot_save_or_submit(client, open_assignment, state):
    assignment, token = open_assignment()
    client.post(url(token, "page", 1), {"item-low": "1", "action": "save"})
    if state == "expired":
        expire(assignment)
    elif state == "cancelled":
        assignments.assignment_cancel(assignment=assignment)
    else:
        assignments.assignment_resend(assignment=assignment)
    assert client.post(url(token, "page", 1), {"item-low": "3", "action": "save"}).status_code in (404, 410)
    assert client.post(url(token, "review")).status_code in (404, 410)
    assert not Response.objects.exists()
    assert Assignment.objects.get(pk=assignment.pk).draft_answers == {"low": "1"}


def test_the_link_path_is_rate_limited_per_address(client, open_assignment, settings):
    settings.ASSESSMENTS_LINK_RATE_LIMIT = (3, 60)
    _assignment, token = open_assignment()
    statuses = [client.get(url(token), REMOTE_ADDR="203.0.113.9").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert client.get(url(token), REMOTE_ADDR="203.0.113.10").status_code == 200
    assert client.get("/q/guess/", REMOTE_ADDR="203.0.113.9").status_code == 429


def long_document(questions: int) -> dict:
    doc = small_document("long-check")
    extra = [
        {"key": f"x{n}", "type": "single_choice", "text": f"Statement {n}", "answer_scale": "frequency"}
        for n in range(questions)
    ]
    doc["items"] = doc["items"][:2] + extra + doc["items"][2:]
    return doc


def two_page_document() -> dict:
    doc = small_document("two-pages")
    doc["items"].insert(4, {"key": "more", "type": "section", "text": "A little more"})
    return doc


def queries(callable_) -> int:
    with CaptureQueriesContext(connection) as context:
        callable_()
    return len(context.captured_queries)


def test_the_form_page_and_a_page_save_take_the_same_queries_whatever_the_size(client, open_assignment):
    counts = {}
    for size in (0, 120):
        doc = small_document() if size == 0 else long_document(size)
        _assignment, token = open_assignment(doc)
        client.get(url(token, "page", 1))  # first opening, and the parsed form is cached
        answers = {"item-low": "1", **{f"item-x{n}": "2" for n in range(size)}, "action": "save"}
        counts[size] = (
            queries(lambda token=token: client.get(url(token, "page", 1))),
            queries(lambda token=token, answers=answers: client.post(url(token, "page", 1), answers)),
        )
    assert counts[0] == counts[120]
    page_queries, save_queries = counts[0]
    assert page_queries <= 2, "the link lookup (with assignment, version, client and practice), and a session read"
    assert save_queries <= 6
