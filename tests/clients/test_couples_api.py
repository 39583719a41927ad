"""The couples API: link, assign to both, read the report, close and share; bad input is a 400, never a 500."""
# ruff: noqa: F811 - the couple fixtures are imported by name

from __future__ import annotations

import pytest
from django.core.cache import cache

from assessments.models import AccessEvent, Assignment
from clients.couples.models import Couple, CoupleAssignment
from tests.api.conftest import api_client
from tests.clients.couples_fixtures import answer, couple, couples_version, dev  # noqa: F401


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def as_tess(tess):
    return api_client(tess)


def test_a_couple_is_linked_assigned_answered_and_reported_over_the_api(
    as_tess, cara, dev, consenting, couples_version, django_capture_on_commit_callbacks
):
    consenting(cara)
    consenting(dev)
    made = as_tess.post("/api/v1/couples/", {"partner_a": cara.pk, "partner_b": dev.pk}, format="json")
    assert made.status_code == 201, made.content
    couple_id = made.json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        assigned = as_tess.post(
            "/api/v1/couple-assignments/",
            {"couple": couple_id, "instrument": "us-check", "different_order": True},
            format="json",
        )
    assert assigned.status_code == 201, assigned.content
    pair = CoupleAssignment.objects.get()
    assert assigned.json()["status"] == "open" and assigned.json()["different_order"] is True
    answer(Assignment.objects.get(pk=pair.assignment_a_id), {"low": "0", "calm": "3"})
    answer(Assignment.objects.get(pk=pair.assignment_b_id), {"low": "1", "calm": "2"})
    report = as_tess.get(f"/api/v1/couple-assignments/{pair.pk}/report/").json()
    assert [row["text"] for row in report["strengths"]] == ["Feeling low", "Feeling calm"]
    assert report["scales"][0]["positive_agreement"] == 100 and report["scales"][0]["partner_a"]["value"] == 0
    assert AccessEvent.objects.filter(note="couple report (API)").count() == 2
    assert as_tess.get(f"/api/v1/couples/?client={dev.pk}").json()["count"] == 1


def test_sharing_needs_both_agreements_and_closing_twice_is_a_409(as_tess, couple, couples_version):
    from clients.couples.services import couple_assignment_create

    pair = couple_assignment_create(couple=couple, version=couples_version)
    assert as_tess.post(f"/api/v1/couple-assignments/{pair.pk}/share/").status_code == 409
    for partner in couple.partners:
        agreed = as_tess.post(
            f"/api/v1/couples/{couple.pk}/share-agreement/", {"partner": partner.pk, "agreed": True}, format="json"
        )
        assert agreed.status_code == 200
    assert as_tess.post(f"/api/v1/couple-assignments/{pair.pk}/close/").json()["status"] == "closed"
    assert as_tess.post(f"/api/v1/couple-assignments/{pair.pk}/close/").status_code == 409
    assert as_tess.post(f"/api/v1/couples/{couple.pk}/unlink/").json()["is_active"] is False


@pytest.mark.parametrize(
    "body",
    [
        {"couple": "1", "instrument": "us-check"},
        {"couple": True, "instrument": "us-check"},
        {"couple": 10**30, "instrument": "us-check"},
        {"instrument": "us-check"},
        {"couple": None, "instrument": "mood-check"},
        {"couple": 0, "instrument": "\x00"},
    ],
)
def test_bad_couple_assignments_are_a_400(as_tess, couple, couples_version, body):
    reply = as_tess.post("/api/v1/couple-assignments/", body, format="json")
    assert reply.status_code == 400, reply.content
    assert not CoupleAssignment.objects.exists()


def test_a_questionnaire_not_for_couples_is_a_400_that_says_so(as_tess, couple, make_version):
    make_version()
    reply = as_tess.post(
        "/api/v1/couple-assignments/", {"couple": couple.pk, "instrument": "mood-check"}, format="json"
    )
    assert reply.status_code == 400 and "suited to couples" in reply.json()["instrument"][0]


@pytest.mark.parametrize(
    "body", [{"partner_a": "x"}, {"partner_a": 1.5, "partner_b": 2}, {"partner_a": [], "partner_b": {}}, {}]
)
def test_bad_couples_are_a_400(as_tess, cara, body):
    assert as_tess.post("/api/v1/couples/", body, format="json").status_code == 400
    assert not Couple.objects.exists()


def test_another_practices_couple_is_a_404(couple, otto, uma):
    for who in (otto, uma):
        api = api_client(who)
        assert api.get(f"/api/v1/couples/{couple.pk}/").status_code == 404
        assert api.post(f"/api/v1/couples/{couple.pk}/unlink/").status_code == 404
    couple.refresh_from_db()
    assert couple.is_active


def test_the_instruments_api_says_which_versions_suit_couples(as_tess, couples_version, make_version):
    make_version()
    assert as_tess.get("/api/v1/instruments/us-check/").json()["published_version"]["couples"] is True
    assert as_tess.get("/api/v1/instruments/mood-check/").json()["published_version"]["couples"] is False
