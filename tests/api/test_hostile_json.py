"""Hostile JSON bodies on every route of the scoping matrix that takes a write: no 5xx, and a 400 wherever the
body is read. Deep nesting, invalid UTF-8, numbers no float holds, bare constants, lone surrogates.

The count of inputs and server errors joins the hostile-input summary (tests/security/hostile.py).
"""

from __future__ import annotations

import pytest

from tests.api.conftest import api_client, link_client
from tests.api.test_scoping import (  # noqa: F401 - world and couples_version: the matrix's fixtures
    MATRIX,
    body_for,
    couples_version,
    url_for,
    world,
)
from tests.security import hostile

pytestmark = pytest.mark.django_db

SURFACE = "API: hostile JSON bodies"

DEEP = 5000
BODIES: dict[str, bytes] = {
    "deep list": b"[" * DEEP + b"]" * DEEP,
    "deep object": b'{"a":' * DEEP + b"1" + b"}" * DEEP,
    "deep inside a field": b'{"answers": {"low": ' + b"[" * DEEP + b"]" * DEEP + b'}, "days": 1}',
    "invalid UTF-8": b'{"answers": {"low": "\xff\xfe"}, "first_name": "\xc3\x28", "days": 1}',
    "overlong UTF-8": b'{"days": 1, "note": "\xc0\xaf"}',
    "a float beyond any float": b'{"days": 1e999, "answers": {"low": 1e999}, "page": -1e400}',
    "an integer of 5000 digits": b'{"days": ' + b"9" * 5000 + b', "page": 1}',
    "an integer of 4000 digits": b'{"days": ' + b"9" * 4000 + b', "respondent": ' + b"9" * 4000 + b"}",
    "NaN and Infinity": b'{"days": NaN, "page": Infinity, "answers": {"low": -Infinity}}',
    "a lone surrogate": b'{"first_name": "\\ud800", "answers": {"notes": "\\udfff"}, "days": 1}',
}
WRITES = [
    (name, method) for name, route in MATRIX.items() for method in route.methods if method in ("post", "put", "patch")
]


def caller(name: str, side, tess):
    """The owner, who may make every write (a therapist may not add subscribers or instruments)."""
    return link_client(side.token) if MATRIX[name].kind == "link" else api_client(tess)


@pytest.mark.parametrize(("name", "method"), WRITES)
def test_hostile_json_never_breaks_a_route(world, tess, settings, name, method):  # noqa: F811 - the matrix's world
    settings.ASSESSMENTS_LINK_RATE_LIMIT = (0, 600)
    side = world["uma"]
    reads_body = body_for(name, side, method) != {}
    url = url_for(MATRIX[name], side)
    for label, body in BODIES.items():
        hostile.TRIED[SURFACE] += 1
        response = getattr(caller(name, side, tess), method)(url, body, content_type="application/json")
        if response.status_code >= 500:
            hostile.SERVER_ERRORS[SURFACE] += 1
        assert response.status_code < 500, (label, response.status_code)
        if reads_body:
            assert response.status_code == 400, (label, response.status_code, response.content[:200])


def test_nesting_within_the_limit_is_still_read(world, uma, settings):  # noqa: F811 - the matrix's world
    settings.TANDEM_JSON_MAX_DEPTH = 64
    nested = b'{"days": 2, "deep": ' + b"[" * 60 + b"]" * 60 + b"}"
    url = url_for(MATRIX["assignment-extend"], world["uma"])
    assert api_client(uma).post(url, nested, content_type="application/json").status_code == 200
    settings.TANDEM_JSON_MAX_DEPTH = 10
    refused = api_client(uma).post(url, nested, content_type="application/json")
    assert refused.status_code == 400 and "nested more than 10 deep" in refused.json()["detail"]


def test_brackets_inside_strings_do_not_count_as_nesting(world, uma):  # noqa: F811 - the matrix's world
    url = url_for(MATRIX["client-detail"], world["uma"])
    body = {"first_name": "[" * 60, "last_name": "{" * 60, "email": "brackets@example.net"}
    response = api_client(uma).put(url, body, format="json")
    assert response.status_code == 200 and response.json()["first_name"] == "[" * 60
