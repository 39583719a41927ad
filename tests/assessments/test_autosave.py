"""Answers saved as they are given: the page's script posts each change, and coming back finds them."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import pytest
from django.core.cache import cache
from django.urls import reverse

from assessments.models import AssignmentStatus
from tests.assessments.test_respond import expire, queries, two_page_document, url


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()


def test_each_change_is_saved_without_leaving_the_page(client, open_assignment):
    assignment, token = open_assignment(two_page_document())
    response = client.post(url(token, "autosave", 1), {"item-calm": "3"})
    assert response.status_code == 204
    assert response["Cache-Control"] == "no-store" and response["Referrer-Policy"] == "no-referrer"
    assignment.refresh_from_db()
    assert assignment.draft_answers == {"calm": "3"}
    assert assignment.status == AssignmentStatus.IN_PROGRESS and assignment.last_page == 1
    client.post(url(token, "autosave", 1), {"item-calm": "3", "item-low": "1"})
    client.post(url(token, "autosave", 1), {"item-calm": "", "item-low": "1"})  # an answer taken back
    assignment.refresh_from_db()
    assert assignment.draft_answers == {"low": "1"}


def test_an_answer_that_fails_its_check_keeps_what_was_saved(client, open_assignment):
    doc = two_page_document()
    doc["items"].append({"key": "hours", "type": "integer", "text": "Hours of sleep", "min": 0, "max": 24})
    assignment, token = open_assignment(doc)
    client.post(url(token, "autosave", 2), {"item-notes": "A busy week", "item-hours": "7"})
    response = client.post(url(token, "autosave", 2), {"item-notes": "A busier week", "item-hours": "70"})
    assert response.status_code == 204
    assignment.refresh_from_db()
    assert assignment.draft_answers == {"notes": "A busier week", "hours": 7}


def test_fields_of_another_page_or_a_dead_link_change_nothing(client, open_assignment):
    assignment, token = open_assignment(two_page_document())
    assert client.post(url(token, "autosave", 1), {"item-low": "1", "item-notes": "from page two"}).status_code == 400
    assert client.post(url(token, "autosave", 9), {"item-low": "1"}).status_code == 404
    assert client.get(url(token, "autosave", 1)).status_code == 405
    assert client.post(reverse("assessments:autosave", args=["x" * 43, 1]), {"item-low": "1"}).status_code == 404
    expire(assignment)
    assert client.post(url(token, "autosave", 1), {"item-low": "1"}).status_code == 410
    assignment.refresh_from_db()
    assert assignment.draft_answers == {}


def test_coming_back_lands_on_the_first_page_with_an_unanswered_required_question(client, open_assignment):
    _assignment, token = open_assignment(two_page_document())
    client.post(url(token, "autosave", 2), {"item-notes": "Written first"})
    start = client.get(url(token)).content.decode()
    assert "You have answered 1 of 3 questions so far." in start
    assert f'href="{url(token, "page", 1)}">Continue where you left off' in start
    client.post(url(token, "autosave", 1), {"item-low": "0", "item-calm": "1"})
    start = client.get(url(token)).content.decode()
    assert "You have answered 3 of 3 questions so far." in start
    assert f'href="{url(token, "review")}">Continue where you left off' in start


def test_a_first_visit_says_nothing_about_progress(client, open_assignment):
    _assignment, token = open_assignment()
    start = client.get(url(token)).content.decode()
    assert "You have answered" not in start and "Continue where you left off" not in start


def test_the_page_names_its_autosave_address_and_a_plain_get_costs_no_more(client, open_assignment):
    _assignment, token = open_assignment()
    client.get(url(token, "page", 1))
    body = client.get(url(token, "page", 1)).content.decode()
    autosave = re.search(r'data-autosave="([^"]*)"', body).group(1)
    assert urljoin(url(token, "page", 1), autosave) == url(token, "autosave", 1)
    assert token not in body  # the page's addresses are relative: the link's token stays in the address bar
    assert queries(lambda: client.get(url(token, "page", 1))) <= 2
    assert queries(lambda: client.post(url(token, "autosave", 1), {"item-low": "1"})) <= 6
