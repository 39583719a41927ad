"""The respondent's token API: the same service calls and rules as the server-rendered form."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from assessments import assignments
from assessments.models import Assignment, AssignmentStatus
from tests.api.conftest import link_client


def assert_private(response) -> None:
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response["X-Robots-Tag"]


def test_the_form_comes_with_its_pages_and_records_the_first_opening(world):
    side = world["uma"]
    response = link_client(side.token).get("/api/v1/respond/")
    assert response.status_code == 200
    assert_private(response)
    body = response.json()
    assert body["title"] == "Mood check" and body["answers"] == {} and body["missing"] == ["low"]
    assert [item["key"] for item in body["pages"][0]["items"]] == ["low", "calm", "harm", "notes"]
    assert "harm" not in body["shown"]  # shown only once "low" is answered
    assert body["context"]["brand_name"] == "Harbour Light"
    side.assignment.refresh_from_db()
    assert side.assignment.status == AssignmentStatus.OPENED and side.assignment.opened_at


def test_answers_are_saved_checked_and_resumed(world):
    side = world["uma"]
    api = link_client(side.token)
    saved = api.post("/api/v1/respond/answers/", {"answers": {"low": "2"}, "page": 1}).json()
    assert saved["answers"] == {"low": "2"} and "harm" in saved["shown"] and saved["missing"] == []
    bad = api.post("/api/v1/respond/answers/", {"answers": {"calm": "7", "notes": "fine"}})
    assert bad.status_code == 400 and list(bad.json()["answers"]) == ["calm"]
    assert api.post("/api/v1/respond/answers/", {"answers": {"nosuch": "1"}}).status_code == 400
    lone_surrogate = '{"answers": {"notes": "\\ud800"}}'
    assert api.post("/api/v1/respond/answers/", lone_surrogate, content_type="application/json").status_code == 400
    assert api.post("/api/v1/respond/answers/", {"answers": ["low"]}).status_code == 400
    cleared = api.post("/api/v1/respond/answers/", {"answers": {"low": None}}).json()
    assert cleared["answers"] == {} and cleared["missing"] == ["low"]
    api.post("/api/v1/respond/answers/", {"answers": {"low": "2"}, "page": 1})
    resumed = api.get("/api/v1/respond/").json()
    assert resumed["answers"] == {"low": "2"} and resumed["last_page"] == 1


def test_submitting_scores_once_and_shows_scores_only_when_released(world, version, consenting, fiona):
    from tests.api.conftest import open_assignment_for

    side = world["uma"]
    api = link_client(side.token)
    incomplete = api.post("/api/v1/respond/submit/")
    assert incomplete.status_code == 400 and incomplete.json()["missing"] == ["low"]
    api.post("/api/v1/respond/answers/", {"answers": {"low": "1"}})
    done = api.post("/api/v1/respond/submit/")
    assert done.status_code == 200 and done.json() == {"status": "completed", "scores": []}
    again = api.post("/api/v1/respond/submit/")
    assert again.status_code == 410 and again.json()["code"] == "used"
    assert Assignment.objects.get(pk=side.assignment.pk).response.answers == {"low": "1"}

    _assignment, token = open_assignment_for(version, fiona, release_scores=True)
    released = link_client(token)
    released.post("/api/v1/respond/answers/", {"answers": {"low": "3", "calm": "0", "harm": "0"}})
    scores = released.post("/api/v1/respond/submit/").json()["scores"]
    assert scores == [{"label": "Total", "value": 6.0, "band": "Moderate"}]


@pytest.mark.parametrize(
    ("problem", "status", "code"),
    [("unknown", 404, "unknown"), ("expired", 410, "expired"), ("cancelled", 410, "cancelled")],
)
def test_a_dead_link_says_why_and_nothing_else(world, problem, status, code):
    side = world["uma"]
    token = side.token
    if problem == "unknown":
        token = "x" * 43
    elif problem == "expired":
        Assignment.objects.filter(pk=side.assignment.pk).update(
            send_at=timezone.now() - timedelta(days=15), expires_at=timezone.now() - timedelta(minutes=1)
        )
    else:
        assignments.assignment_cancel(assignment=side.assignment)
    for method, path in (
        ("get", "/api/v1/respond/"),
        ("post", "/api/v1/respond/answers/"),
        ("post", "/api/v1/respond/submit/"),
    ):
        response = getattr(link_client(token), method)(path, {"answers": {"low": "1"}})
        assert response.status_code == status and response.json()["code"] == code
        assert_private(response)
        text = response.content.decode()
        assert "Fiona" not in text and "Mood" not in text and "Harbour" not in text


def test_no_token_is_an_unknown_link(world):
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/respond/").json()["code"] == "unknown"


def test_the_rate_limit_per_address_is_shared_with_the_link_pages(world, settings, client):
    settings.ASSESSMENTS_LINK_RATE_LIMIT = (3, 600)
    side = world["uma"]
    api = link_client(side.token)
    assert api.get("/api/v1/respond/").status_code == 200
    assert client.get(f"/q/{side.token}/").status_code == 200
    assert api.get("/api/v1/respond/").status_code == 200
    limited = api.get("/api/v1/respond/")
    assert limited.status_code == 429 and limited.json()["code"] == "throttled"
    assert 0 < int(limited["Retry-After"]) <= 600
    assert_private(limited)


def test_an_oversized_body_is_refused_before_it_is_read(world):
    api = link_client(world["uma"].token)
    response = api.post("/api/v1/respond/answers/", {"answers": {"notes": "x" * 70_000}})
    assert response.status_code == 413 and response.json()["code"] == "too_large"
    world["uma"].assignment.refresh_from_db()
    assert world["uma"].assignment.draft_answers == {}


def test_the_token_never_travels_in_the_address(world):
    """It is a header, so it reaches no access log and no Referer; the path is the same for every link."""
    from django.urls import reverse

    assert reverse("api:v1:respond-form") == "/api/v1/respond/"
