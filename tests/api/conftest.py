"""The API's cast: the shared one (Tess, Uma, Otto; Cara, Fiona, Olga) with tokens, and a little of everything.

``world`` gives each practice a client who consents, an open assignment with a working link, a
completed response and a newsletter subscriber, so every route has something in and out of scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from assessments import assignments, links
from assessments.models import Assignment, Response
from practice.accounts.tokens import api_token_create
from practice.newsletter.models import Subscriber, SubscriberStatus


@pytest.fixture(autouse=True)
def _fresh_limits():
    """Throttles and the link rate limit count in the cache; every test starts with a clean slate."""
    cache.clear()
    yield
    cache.clear()


def api_client(user=None) -> APIClient:
    """A client that signs in the way a script does: ``Authorization: Token <key>``."""
    api = APIClient()
    if user is not None:
        _token, raw = api_token_create(user=user, name="tests", days=1)
        api.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return api


@pytest.fixture
def as_uma(uma) -> APIClient:
    return api_client(uma)


@pytest.fixture
def as_tess(tess) -> APIClient:
    return api_client(tess)


@pytest.fixture
def as_otto(otto) -> APIClient:
    return api_client(otto)


@pytest.fixture
def anonymous(db) -> APIClient:
    return APIClient()


@pytest.fixture
def outbox_rows(db):
    """How many outbox messages are addressed to an address."""
    from practice.mail.models import OutboundEmail

    return lambda address: OutboundEmail.objects.filter(to_email=address).count()


def link_client(token: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_X_LINK_TOKEN=token)
    return api


@dataclass
class Side:
    """One therapist's corner of the world: a client, an open assignment (and its link), a response, a subscriber."""

    client: Any
    assignment: Assignment
    token: str
    response: Response
    subscriber: Subscriber


def open_assignment_for(version, respondent, **options) -> tuple[Assignment, str]:
    assignment = assignments.assignment_create(version=version, respondent=respondent, **options)
    assignments.assignment_dispatch(assignment_id=assignment.pk)
    assignment.refresh_from_db()
    return assignment, links.link_issue(assignment=assignment)


def completed_response_for(version, respondent) -> Response:
    assignment, _token = open_assignment_for(version, respondent)
    assignments.assignment_save_answers(assignment=assignment, answers={"low": "2", "calm": "1", "harm": "1"})
    return assignments.assignment_submit(assignment=assignment)


@pytest.fixture
def version(make_version):
    return make_version()


@pytest.fixture
def world(version, consenting, cara, fiona, olga, harbour, elsewhere, tess, uma, otto) -> dict[str, Side]:
    sides = {}
    for name, person, practice in (("uma", fiona, harbour), ("tess", cara, harbour), ("otto", olga, elsewhere)):
        consenting(person)
        response = completed_response_for(version, person)
        assignment, token = open_assignment_for(version, person)
        subscriber = Subscriber.objects.create(
            practice=practice,
            email=f"reader.{name}@example.com",
            name=f"Reader {name}",
            status=SubscriberStatus.CONFIRMED,
        )
        sides[name] = Side(person, assignment, token, response, subscriber)
    return sides


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Print the fuzzing report when the fuzzing test ran."""
    import sys

    module = sys.modules.get("tests.api.test_fuzz")
    lines = module.report_lines() if module is not None else []
    if lines:
        terminalreporter.write_sep("=", "schemathesis report")
        for line in lines:
            terminalreporter.write_line(line)
