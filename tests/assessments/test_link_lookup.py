"""The link lookup loads only the columns the link pages read (``assessments.links.LINK_PAGE_FIELDS``): walking
every link page and the link API never loads a left-out column afterwards."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.api.conftest import link_client

pytestmark = pytest.mark.django_db

#: Django's query for a column left out by ``only()``, read when something first touches it.
DEFERRED_LOAD = re.compile(r'^SELECT "assessments_assignment"\."id", "assessments_assignment"\."\w+" FROM')


def deferred_loads(walk) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        walk()
    return [query["sql"] for query in captured.captured_queries if DEFERRED_LOAD.match(query["sql"])]


def test_the_link_pages_read_no_column_the_lookup_left_out(client, open_assignment):
    _assignment, token = open_assignment(message="See you on Tuesday.", release_scores=True)

    def walk():
        def url(name, *args):
            return reverse(f"assessments:{name}", args=[token, *args])

        assert client.get(url("start")).status_code == 200
        assert client.get(url("page", 1)).status_code == 200
        answers = {"item-low": "1", "item-calm": "2", "item-harm": "0"}
        assert client.post(url("autosave", 1), answers).status_code == 204
        assert client.post(url("page", 1), {**answers, "action": "save"}).status_code == 303
        assert client.get(url("saved")).status_code == 200
        assert client.get(url("review")).status_code == 200
        assert client.post(url("review")).status_code in (302, 303)
        assert client.get(url("done")).status_code == 200

    assert deferred_loads(walk) == []


def test_the_link_api_reads_no_column_the_lookup_left_out(open_assignment):
    _assignment, token = open_assignment(release_scores=True)
    api = link_client(token)

    def walk():
        assert api.get("/api/v1/respond/").status_code == 200
        answers = {"low": "1", "calm": "2", "harm": "0"}
        assert api.post("/api/v1/respond/answers/", {"answers": answers, "page": 1}).status_code == 200
        assert api.post("/api/v1/respond/submit/").status_code in (200, 201)
        assert api.get("/api/v1/respond/").status_code in (200, 410)

    assert deferred_loads(walk) == []
