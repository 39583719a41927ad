"""Instruments, assignments and responses over the API: the engine's use cases, the admin's rules."""

from __future__ import annotations

import pytest

from assessments import exports
from assessments.models import Assignment, AssignmentStatus, InstrumentVersion
from tests.assessments.conftest import small_document


def test_an_instrument_shows_its_versions_items_and_scales(world, as_uma):
    body = as_uma.get("/api/v1/instruments/mood-check/").json()
    current = body["current_version"]
    assert current["status"] == "published" and [v["number"] for v in body["versions"]] == [1]
    assert [item["key"] for item in current["items"]] == ["intro", "low", "calm", "harm", "notes"]
    low = current["items"][1]
    assert low["required"] and [option["code"] for option in low["options"]] == ["0", "1", "2", "3"]
    total = current["scales"][0]
    assert total["key"] == "total" and [band["label"] for band in total["bands"]] == ["Low", "Moderate", "High"]
    assert as_uma.get("/api/v1/instruments/no-such-thing/").status_code == 404


def test_an_owner_imports_and_a_bad_document_names_every_problem(world, as_tess, as_uma):
    response = as_tess.post("/api/v1/instruments/", {"document": small_document("new-check"), "publish": True})
    assert response.status_code == 201
    assert response.json()["version"]["status"] == "published"
    assert response.json()["instrument"]["slug"] == "new-check"
    before = InstrumentVersion.objects.count()
    bad = {**small_document("bad-check"), "format": "nope", "items": [{"key": "a b", "type": "riddle"}]}
    response = as_tess.post("/api/v1/instruments/", {"document": bad})
    assert response.status_code == 400
    problems = response.json()["document"]
    assert any(problem.startswith("$.format") for problem in problems)
    assert any(problem.startswith("$.items[0].key") for problem in problems)
    assert InstrumentVersion.objects.count() == before
    assert as_uma.post("/api/v1/instruments/", {"document": small_document("x")}).status_code == 403


def test_a_document_with_characters_the_database_refuses_is_a_400(world, as_tess):
    doc = small_document("odd-check")
    doc["items"][1]["key"] = "low\x00"
    response = as_tess.post("/api/v1/instruments/", {"document": doc})
    assert response.status_code == 400
    assert "null characters" in response.json()["document"][0]


def test_assigning_sends_the_invitation_after_commit(world, as_uma, django_capture_on_commit_callbacks, outbox_rows):
    fiona = world["uma"].client
    before = outbox_rows(fiona.email)
    with django_capture_on_commit_callbacks(execute=True):
        response = as_uma.post(
            "/api/v1/assignments/",
            {"respondent": fiona.pk, "instrument": "mood-check", "expires_in_days": 7, "message": "See you soon"},
        )
    assert response.status_code == 201
    assignment = Assignment.objects.get(pk=response.json()["id"])
    assert assignment.status == AssignmentStatus.SENT and assignment.message == "See you soon"
    assert outbox_rows(fiona.email) == before + 1


def test_assigning_is_refused_without_consent_or_a_published_version(world, as_uma, uma, make_client, make_version):
    newcomer = make_client(uma)
    response = as_uma.post("/api/v1/assignments/", {"respondent": newcomer.pk, "instrument": "mood-check"})
    assert response.status_code == 400 and "respondent" in response.json()
    make_version(small_document("draft-check"), publish=False)
    fiona = world["uma"].client
    response = as_uma.post("/api/v1/assignments/", {"respondent": fiona.pk, "instrument": "draft-check"})
    assert response.status_code == 400 and "instrument" in response.json()
    response = as_uma.post(
        "/api/v1/assignments/", {"respondent": fiona.pk, "instrument": "mood-check", "expires_in_days": 61}
    )
    assert response.status_code == 400 and "expires_in_days" in response.json()


@pytest.mark.parametrize("slug", ["mood\x00check", "Mood Check", "x" * 500])
def test_an_instrument_name_no_slug_could_be_is_a_400_and_stores_nothing(world, as_uma, slug):
    fiona = world["uma"].client
    before = Assignment.objects.count()
    response = as_uma.post("/api/v1/assignments/", {"respondent": fiona.pk, "instrument": slug}, format="json")
    assert response.status_code == 400 and "instrument" in response.json()
    assert Assignment.objects.count() == before


def test_cancel_extend_and_resend_follow_the_assignment_rules(world, as_uma):
    assignment = world["uma"].assignment
    url = f"/api/v1/assignments/{assignment.pk}"
    assert as_uma.post(f"{url}/extend/", {"days": 0}).status_code == 400
    assert as_uma.post(f"{url}/resend/").json()["invitations_sent"] == 2
    assert as_uma.post(f"{url}/cancel/").json()["status"] == "cancelled"
    second = as_uma.post(f"{url}/cancel/")
    assert second.status_code == 409 and "unfinished" in second.json()["detail"]
    assert as_uma.post(f"{url}/resend/").status_code == 409
    assert as_uma.post(f"{url}/extend/", {"days": 7}).status_code == 409


def test_assignments_are_filtered_by_status_respondent_and_instrument(world, as_tess):
    fiona = world["uma"].client
    rows = as_tess.get(f"/api/v1/assignments/?respondent={fiona.pk}&status=completed").json()["results"]
    assert [row["response"] for row in rows] == [world["uma"].response.pk]
    assert as_tess.get("/api/v1/assignments/?instrument=none-such").json()["count"] == 0
    assert as_tess.get("/api/v1/assignments/?status=lost").status_code == 400


@pytest.mark.parametrize("value", ["1.0", "1e3", "%2B1", "0x1", "\u0661"])
def test_an_id_filter_takes_digits_only(world, as_tess, value):
    response = as_tess.get(f"/api/v1/responses/?respondent={value}")
    assert response.status_code == 400 and "respondent" in response.json()


def test_a_response_carries_answers_scores_and_flags(world, as_uma):
    response = world["uma"].response
    body = as_uma.get(f"/api/v1/responses/{response.pk}/").json()
    assert body["answers"] == {"low": "2", "calm": "1", "harm": "1"}
    assert body["scores"]["scales"]["total"]["value"] == 5 and body["scores"]["scales"]["total"]["band"] == "Moderate"
    assert body["flagged"] is True and body["scores"]["risk_flags"][0]["item"] == "harm"
    assert body["assignment"] == response.assignment.pk
    assert as_uma.get("/api/v1/responses/?flagged=true").json()["count"] == 1
    assert as_uma.get("/api/v1/responses/?flagged=false").json()["count"] == 0
    assert as_uma.get("/api/v1/responses/?flagged=maybe").status_code == 400


def test_a_response_exports_as_a_fhir_questionnaire_response(world, as_uma):
    response = world["uma"].response
    resource = as_uma.get(f"/api/v1/responses/{response.pk}/fhir/").json()
    assert resource["resourceType"] == "QuestionnaireResponse" and resource["status"] == "completed"
    assert resource["questionnaire"] == exports.questionnaire_url(response)
    assert resource["questionnaire"].endswith("/fhir/Questionnaire/mood-check|1")
    answered = {item["linkId"]: item["answer"][0] for item in resource["item"][0]["item"]}
    assert answered["low"]["valueCoding"]["code"] == "2"
    assert resource["authored"].endswith("Z")


def test_a_library_measure_shows_its_published_reliable_change_threshold(world, as_uma):
    body = as_uma.get("/api/v1/instruments/phq-9/").json()
    total = body["current_version"]["scales"][0]
    assert total["reliable_change"]["threshold"] == 6
    assert "NHS Talking Therapies" in total["reliable_change"]["source"]
