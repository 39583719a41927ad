"""Lists that stay fast: the response list, the review queue, the client's page and the API's responses list
read no version definition with their rows (kilobytes of JSON each), and their query count does not grow with
the number of responses."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from rest_framework.test import APIClient

from tests.assessments.test_results import make_response  # noqa: F401  (a fixture)

DEFINITION = '"assessments_instrumentversion"."definition"'


def pages(cara) -> dict[str, str]:
    return {
        "response list": reverse("admin:assessments_response_changelist"),
        "review queue": reverse("admin:assessments_response_queue"),
        "client page": reverse("admin:clients_client_change", args=[cara.pk]),
    }


def queries_of(get, url: str) -> list[str]:
    get(url)  # warm: each published version's parsed form is cached per process, as on a running site
    with CaptureQueriesContext(connection) as queries:
        reply = get(url)
    assert reply.status_code == 200, url
    return [query["sql"] for query in queries.captured_queries]


def _browsers(client, tess):
    client.force_login(tess)
    api = APIClient()
    api.force_authenticate(tess)
    return client.get, api.get


@pytest.mark.parametrize("name", ["response list", "review queue", "client page", "api responses"])
def test_a_list_reads_no_definition_per_row_and_its_queries_do_not_grow(
    client,
    tess,
    cara,
    make_response,  # noqa: F811
    name,
):
    browser, api = _browsers(client, tess)
    get, url = (api, "/api/v1/responses/") if name == "api responses" else (browser, pages(cara)[name])
    counts = []
    for total in (2, 14):
        while cara.assessment_responses.count() < total:
            make_response(cara, days_ago=cara.assessment_responses.count())
        sql = queries_of(get, url)
        with_rows = [query for query in sql if 'FROM "assessments_response"' in query and DEFINITION in query]
        assert not with_rows, with_rows
        counts.append(len(sql))
    assert counts[0] == counts[1], (name, counts)


@pytest.mark.parametrize("model", ["response", "assignment"])
def test_the_questionnaire_filter_lists_what_the_user_may_see_without_reading_the_rows(
    client,
    tess,
    cara,
    make_response,  # noqa: F811
    model,
):
    """Its choices come from the questionnaires (a short list), not from a pass over every row in scope."""
    response = make_response(cara, days_ago=1)
    browser, _api = _browsers(client, tess)
    sql = queries_of(browser, reverse(f"admin:assessments_{model}_changelist"))
    table = f'"assessments_{model}"'
    choices = [query for query in sql if 'FROM "assessments_instrument"' in query]
    assert choices, "the filter's choices are read"
    assert not [query for query in choices if table in query], choices
    page = browser(reverse(f"admin:assessments_{model}_changelist")).content.decode()
    filters = page.split('id="changelist-filter"', 1)[1]
    assert escape(str(response.version.instrument)) in filters  # offered as a choice
