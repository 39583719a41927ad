"""Subject access in a fixed number of queries, whatever the client's history: 1 response or 200."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments.models import Response
from assessments.results import record_access
from clients import privacy


def give_history(person, version, tess, count: int) -> None:
    """``count`` completed responses, each looked at once (an access event per response)."""
    now = timezone.now()
    Response.objects.bulk_create(
        Response(version=version, respondent=person, answers={"low": "1"}, scores={}, completed_at=now)
        for _ in range(count)
    )
    record_access(user=tess, action="viewed", responses=Response.objects.filter(respondent=person))


def archive_queries(person) -> int:
    with CaptureQueriesContext(connection) as queries:
        privacy.subject_access_archive(person)
    return len(queries.captured_queries)


@pytest.mark.parametrize("many", [200])
def test_subject_access_takes_as_many_queries_for_200_responses_as_for_one(cara, make_client, tess, make_version, many):
    version = make_version()
    few, lots = cara, make_client(tess, first_name="Hana")
    give_history(few, version, tess, 1)
    give_history(lots, version, tess, many)
    archive_queries(few)  # warm the per-process caches (content types, the version) for both alike
    assert archive_queries(few) == archive_queries(lots)
    assert len(privacy.rows_about(lots)["assessments.response"]) == many
    assert len(privacy.rows_about(lots)["assessments.accessevent"]) == many
