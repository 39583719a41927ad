"""Mass assignment: every writable endpoint ignores the fields the server sets (owner, practice, therapist, status…).

Each test posts a valid write together with every server-set field, pointed somewhere it must not go,
and checks that what was stored came from the server.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from assessments.models import Assignment, AssignmentStatus, InstrumentStatus, InstrumentVersion
from clients.models import Client, ConsentRecord
from practice.newsletter.models import Subscriber, SubscriberStatus
from tests.api.conftest import link_client
from tests.assessments.conftest import small_document

FAR_FUTURE = "2099-01-01T00:00:00Z"


def forged(elsewhere, otto) -> dict:
    return {
        "id": 999999,
        "practice": elsewhere.pk,
        "therapist": otto.pk,
        "created_at": FAR_FUTURE,
        "updated_at": FAR_FUTURE,
        "display_name": "Forged",
        "consent_questionnaires_at": FAR_FUTURE,
        "consent_newsletter_at": FAR_FUTURE,
    }


def test_creating_a_client_ignores_practice_therapist_and_timestamps(world, as_uma, uma, harbour, elsewhere, otto):
    body = {"first_name": "Nell", "last_name": "Quist", "email": "nell@example.net", **forged(elsewhere, otto)}
    response = as_uma.post("/api/v1/clients/", body, format="json")
    assert response.status_code == 201, response.json()
    client = Client.objects.get(email="nell@example.net")
    assert (client.practice, client.therapist) == (harbour, uma)
    assert client.pk != 999999
    assert client.created_at.year != 2099 and client.consent_newsletter_at is None


def test_changing_a_client_cannot_move_them_to_another_practice_or_therapist(
    world, as_uma, uma, harbour, elsewhere, otto
):
    fiona = world["uma"].client
    for method in ("put", "patch"):
        body = {"first_name": "Fiona", "last_name": "Lund", "email": fiona.email, **forged(elsewhere, otto)}
        response = getattr(as_uma, method)(f"/api/v1/clients/{fiona.pk}/", body, format="json")
        assert response.status_code == 200, response.json()
        fiona.refresh_from_db()
        assert (fiona.pk, fiona.practice, fiona.therapist) == (world["uma"].client.pk, harbour, uma)
        assert fiona.updated_at.year != 2099


def test_consent_changes_only_through_the_logged_service(world, as_uma, uma):
    fiona = world["uma"].client
    response = as_uma.patch(
        f"/api/v1/clients/{fiona.pk}/",
        {"consent_newsletter": True, "consent_newsletter_at": "2001-01-01T00:00:00Z"},
        format="json",
    )
    assert response.status_code == 200
    record = ConsentRecord.objects.get(client=fiona, channel="newsletter")
    assert (record.given, record.source, record.recorded_by) == (True, "API", uma)
    fiona.refresh_from_db()
    assert fiona.consent_newsletter_at.year != 2001


def test_adding_a_subscriber_ignores_status_practice_and_source(world, as_tess, harbour, elsewhere):
    body = {
        "email": "New.Reader@Example.com",
        "status": SubscriberStatus.CONFIRMED,
        "practice": elsewhere.pk,
        "source": "forged",
        "confirmed_at": FAR_FUTURE,
        "consent_at": FAR_FUTURE,
    }
    response = as_tess.post("/api/v1/subscribers/", body, format="json")
    assert response.status_code == 201, response.json()
    subscriber = Subscriber.objects.get(email="new.reader@example.com")
    assert (subscriber.practice, subscriber.status, subscriber.source) == (harbour, SubscriberStatus.PENDING, "API")
    assert subscriber.confirmed_at is None


def test_unsubscribing_ignores_a_posted_status_or_address(world, as_tess):
    reader = world["uma"].subscriber
    response = as_tess.post(
        f"/api/v1/subscribers/{reader.pk}/unsubscribe/",
        {"status": SubscriberStatus.CONFIRMED, "email": "other@example.com"},
        format="json",
    )
    assert response.status_code == 200
    reader.refresh_from_db()
    assert (reader.status, reader.email) == (SubscriberStatus.UNSUBSCRIBED, "reader.uma@example.com")


def test_assigning_ignores_status_version_sender_and_dates(world, as_uma, uma, otto, make_version):
    draft = make_version(small_document("other-check"), publish=False)
    fiona = world["uma"].client
    body = {
        "respondent": fiona.pk,
        "instrument": "mood-check",
        "status": AssignmentStatus.COMPLETED,
        "version": draft.pk,
        "assigned_by": otto.pk,
        "send_at": FAR_FUTURE,
        "expires_at": FAR_FUTURE,
        "response": world["uma"].response.pk,
        "invitations_sent": 9,
    }
    response = as_uma.post("/api/v1/assignments/", body, format="json")
    assert response.status_code == 201, response.json()
    assignment = Assignment.objects.get(pk=response.json()["id"])
    assert assignment.status == AssignmentStatus.SCHEDULED  # sent once the transaction commits
    assert assignment.version.status == InstrumentStatus.PUBLISHED and assignment.version != draft
    assert assignment.assigned_by == uma and assignment.response is None and assignment.invitations_sent == 0
    assert assignment.expires_at - timezone.now() < timedelta(days=15)


def test_the_assignment_actions_change_only_what_they_are_for(world, as_uma):
    assignment = world["uma"].assignment
    expires = assignment.expires_at
    forged_fields = {"status": AssignmentStatus.COMPLETED, "expires_at": FAR_FUTURE, "message": "forged"}
    response = as_uma.post(f"/api/v1/assignments/{assignment.pk}/extend/", {"days": 3, **forged_fields}, format="json")
    assert response.status_code == 200
    assignment.refresh_from_db()
    assert assignment.expires_at == expires + timedelta(days=3)
    assert (assignment.status, assignment.message) == (AssignmentStatus.SENT, "")
    response = as_uma.post(f"/api/v1/assignments/{assignment.pk}/resend/", forged_fields, format="json")
    assert response.status_code == 200
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.SENT and assignment.invitations_sent == 2
    response = as_uma.post(f"/api/v1/assignments/{assignment.pk}/cancel/", forged_fields, format="json")
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.CANCELLED and assignment.expires_at.year != 2099


def test_importing_ignores_a_posted_status_or_slug(world, as_tess):
    body = {
        "document": small_document("posted-check"),
        "publish": False,
        "status": InstrumentStatus.PUBLISHED,
        "slug": "forged",
        "versions": [],
    }
    response = as_tess.post("/api/v1/instruments/", body, format="json")
    assert response.status_code == 201, response.json()
    version = InstrumentVersion.objects.get(instrument__slug="posted-check")
    assert version.status == InstrumentStatus.DRAFT
    assert not InstrumentVersion.objects.filter(instrument__slug="forged").exists()


def test_saving_answers_ignores_status_and_whose_they_are(world):
    side, other = world["uma"], world["otto"]
    body = {
        "answers": {"low": "1"},
        "page": 1,
        "status": AssignmentStatus.COMPLETED,
        "respondent": other.client.pk,
        "assignment": other.assignment.pk,
    }
    response = link_client(side.token).post("/api/v1/respond/answers/", body, format="json")
    assert response.status_code == 200, response.json()
    side.assignment.refresh_from_db()
    other.assignment.refresh_from_db()
    assert side.assignment.status == AssignmentStatus.IN_PROGRESS and side.assignment.draft_answers == {"low": "1"}
    assert other.assignment.draft_answers == {} and other.assignment.status == AssignmentStatus.SENT


def test_submitting_ignores_posted_answers_and_scores(world):
    side = world["uma"]
    body = {"answers": {"low": "3"}, "scores": {"total": 0}, "status": AssignmentStatus.COMPLETED}
    response = link_client(side.token).post("/api/v1/respond/submit/", body, format="json")
    assert response.status_code == 400
    assert response.json()["missing"] == ["low"]
    side.assignment.refresh_from_db()
    assert side.assignment.status == AssignmentStatus.SENT and side.assignment.response is None
