"""Exports that stream: flat memory and a fixed number of queries whatever the number of responses, and
"export all that match" from the list without ticking rows."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import exports
from assessments.models import AccessAction, AccessEvent, Response
from tests.assessments.conftest import small_document
from tests.assessments.test_results import make_response  # noqa: F401  (a fixture)

#: A CSV and a FHIR export of responses to two versions: per export the distinct versions, each version's title
#: and label (without its definition), the rows; each version's parsed form once per process.
QUERIES_PER_TWO_EXPORTS = 9


def download(reply) -> str:
    assert isinstance(reply, StreamingHttpResponse)
    return b"".join(reply.streaming_content).decode()


@pytest.fixture
def two_versions(make_version, make_response):  # noqa: F811
    first = make_version()
    second = make_version({**small_document("sleep-check"), "title": "Sleep check"})
    return first, second


def _exported_queries(responses) -> tuple[list[str], str, str]:
    with CaptureQueriesContext(connection) as queries:
        text = "".join(exports.stream_responses_csv(responses))
        bundle = "".join(exports.stream_responses_fhir(responses))
    return [q["sql"] for q in queries.captured_queries], text, bundle


@pytest.mark.parametrize("count", [2, 30])
def test_an_export_reads_each_version_once_and_never_the_definition_with_the_rows(
    cara,
    make_response,  # noqa: F811
    two_versions,
    count,
):
    first, second = two_versions
    for n in range(count):
        make_response(cara, version=first if n % 2 else second, days_ago=n)
    exports.frozen_form.cache_clear()
    sql, text, bundle = _exported_queries(Response.objects.order_by("pk"))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == count and len(json.loads(bundle)["entry"]) == count
    assert {"answer mood-check:low", "answer sleep-check:low"} <= set(rows[0])
    row_queries = [q for q in sql if 'FROM "assessments_response"' in q and "DISTINCT" not in q]
    assert len(row_queries) == 2  # one streamed query per export (chunks on PostgreSQL's cursor)
    assert not any('"definition"' in q for q in row_queries)
    # Per export: the distinct versions, each version's title (no definition), the rows; the parsed form once.
    assert len(sql) == QUERIES_PER_TWO_EXPORTS, "\n".join(sql)


def test_the_query_count_does_not_grow_with_the_rows(cara, make_response, two_versions):  # noqa: F811
    first, second = two_versions
    counts = []
    for total in (2, 40):
        while Response.objects.count() < total:
            make_response(cara, version=first if Response.objects.count() % 2 else second)
        _exported_queries(Response.objects.order_by("pk"))  # the per-process caches warm, as in a running site
        counts.append(len(_exported_queries(Response.objects.order_by("pk"))[0]))
    assert counts[0] == counts[1]


def test_the_list_exports_all_that_match_its_filter_without_ticking_rows(
    client,
    tess,
    cara,
    make_client,
    make_response,  # noqa: F811
):
    other = make_client(tess, first_name="Dora")
    flagged = [make_response(cara, {"low": "3", "calm": "3", "harm": "2"}, days_ago=n) for n in range(3)]
    make_response(other, {"low": "0", "calm": "0", "harm": "0"})
    client.force_login(tess)
    changelist = reverse("admin:assessments_response_changelist")
    page = client.get(changelist, {"flagged__exact": "1"}).content.decode()
    assert "Export all 3 that match as CSV" in page
    export = reverse("admin:assessments_response_export", args=["csv"])
    assert client.get(export + "?flagged__exact=1").status_code == 405  # a download that logs is a POST
    rows = list(csv.DictReader(io.StringIO(download(client.post(export + "?flagged__exact=1")))))
    assert sorted(int(row["response"]) for row in rows) == sorted(r.pk for r in flagged)
    bundle = json.loads(download(client.post(reverse("admin:assessments_response_export", args=["fhir"]))))
    assert len(bundle["entry"]) == 4  # no filter: every response the list shows
    notes = set(AccessEvent.objects.filter(action=AccessAction.EXPORTED).values_list("note", flat=True))
    assert notes == {"CSV of 3 responses", "FHIR bundle of 4 responses"}


def test_export_all_that_match_stays_in_scope(client, uma, cara, make_response):  # noqa: F811
    make_response(cara)
    client.force_login(uma)
    reply = client.post(reverse("admin:assessments_response_export", args=["csv"]))
    assert reply.status_code == 302 and not AccessEvent.objects.exists()
    assert client.post(reverse("admin:assessments_response_export", args=["xml"])).status_code == 404
