"""Appointments and questionnaire plans over the API: the admin's rules and the same use cases, in JSON.

Times go in and come out in ISO 8601 with their offset (in the practice's zone, Europe/London); a time
without an offset is refused rather than guessed.
"""

from __future__ import annotations

import datetime
from datetime import timedelta

import pytest
from django.utils import timezone

from clients.appointments import OUR_PERSONALISERS
from clients.models import Appointment, AppointmentStatus, Channel, ClientStatus, QuestionnairePlan
from clients.services import consent_set
from practice.mail.models import OutboundEmail
from tests.assessments.conftest import small_document

LONDON = datetime.timezone(timedelta(hours=1))  # British Summer Time
FAR_FUTURE = "2099-01-01T00:00:00Z"


def book(api, client, starts_at: str = "2031-01-06T10:00:00+00:00", **fields):
    return api.post("/api/v1/appointments/", {"client": client.pk, "starts_at": starts_at, **fields}, format="json")


def appointment_emails(client) -> int:
    """How many appointment emails (confirmations, updates, cancellations, reminders) the client has in the outbox."""
    return OutboundEmail.objects.filter(to_email=client.email, personaliser__in=OUR_PERSONALISERS).count()


def in_the_past(hours: int = 2) -> str:
    return (timezone.now() - timedelta(hours=hours)).replace(microsecond=0).isoformat()


@pytest.fixture
def fiona_reachable(world):
    """Uma's client, who has agreed to appointment emails."""
    client = world["uma"].client
    consent_set(client=client, channel=Channel.APPOINTMENT_REMINDERS, given=True, source="test")
    return client


# --- Booking ----------------------------------------------------------------------------------------------------


def test_a_therapist_books_her_client_with_herself_and_the_client_is_told(as_uma, uma, fiona_reachable):
    response = book(as_uma, fiona_reachable, "2031-06-02T09:00:00+01:00", duration_minutes=60, location="Room 2")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["client"], body["therapist"], body["booked_by"], body["status"]) == (
        fiona_reachable.pk,
        uma.pk,
        uma.pk,
        "booked",
    )
    assert (body["starts_at"], body["ends_at"], body["time_zone"]) == (
        "2031-06-02T09:00:00+01:00",
        "2031-06-02T10:00:00+01:00",
        "Europe/London",
    )
    appointment = Appointment.objects.get(pk=body["id"])
    assert appointment.starts_at == datetime.datetime(2031, 6, 2, 8, 0, tzinfo=datetime.UTC)
    assert appointment_emails(fiona_reachable) == 1  # the confirmation, with its calendar invitation


def test_a_time_is_shown_in_the_practices_zone_across_the_clocks_changing(as_uma, fiona_reachable):
    """Booked in UTC the day after the clocks go forward, it reads 09:00 local with the summer offset."""
    body = book(as_uma, fiona_reachable, "2026-03-30T08:00:00Z").json()
    assert body["starts_at"] == "2026-03-30T09:00:00+01:00"
    winter = book(as_uma, fiona_reachable, "2026-03-27T09:00:00Z").json()
    assert winter["starts_at"] == "2026-03-27T09:00:00Z"


@pytest.mark.parametrize("naive", ["2031-01-06T10:00:00", "2031-01-06T10:00"])
def test_a_time_without_an_offset_is_refused_with_a_clear_message(as_uma, fiona_reachable, naive):
    response = book(as_uma, fiona_reachable, naive)
    assert response.status_code == 400
    assert "offset" in response.json()["starts_at"][0]
    assert not Appointment.objects.filter(client=fiona_reachable).exists()


@pytest.mark.parametrize(
    "starts_at", ["tomorrow", "2031-02-30T10:00:00Z", "0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00Z", 1893456000]
)
def test_a_time_that_is_not_a_moment_we_book_is_a_400(as_uma, fiona_reachable, starts_at):
    response = book(as_uma, fiona_reachable, starts_at)
    assert response.status_code == 400 and list(response.json()) == ["starts_at"]


def test_a_clash_is_a_400_naming_the_time_but_not_the_other_client(world, as_uma, as_tess, uma, fiona_reachable):
    assert book(as_uma, fiona_reachable, "2031-01-06T10:00:00+00:00").status_code == 201
    cara = world["tess"].client
    response = book(as_tess, cara, "2031-01-06T10:30:00+00:00", therapist=uma.pk)
    assert response.status_code == 400
    message = response.json()["starts_at"][0]
    assert "10:00" in message and "10:50" in message
    assert "Fiona" not in response.content.decode() and "Lund" not in response.content.decode()
    assert not Appointment.objects.filter(client=cara).exists()


def test_an_owner_books_for_a_colleague_but_a_therapist_only_for_herself(
    world, as_uma, as_tess, tess, uma, otto, fiona_reachable
):
    response = book(as_tess, fiona_reachable, therapist=uma.pk)
    assert response.status_code == 201 and response.json()["therapist"] == uma.pk
    assert response.json()["booked_by"] == tess.pk
    assert book(as_uma, fiona_reachable, "2031-01-07T10:00:00Z", therapist=tess.pk).status_code == 400
    refused = book(as_tess, fiona_reachable, "2031-01-08T10:00:00Z", therapist=otto.pk)
    assert refused.status_code == 400 and list(refused.json()) == ["therapist"]


def test_an_online_appointment_needs_a_link_and_a_discharged_client_none(world, as_uma, fiona_reachable):
    response = book(as_uma, fiona_reachable, kind="online")
    assert response.status_code == 400 and "meeting_url" in response.json()
    fiona_reachable.status = ClientStatus.DISCHARGED
    fiona_reachable.save()
    response = book(as_uma, fiona_reachable)
    assert response.status_code == 400 and "client" in response.json()


def test_types_are_not_guessed(as_uma, fiona_reachable):
    body = {
        "client": str(fiona_reachable.pk),
        "starts_at": "2031-01-06T10:00:00Z",
        "duration_minutes": "50",
        "location": 7,
    }
    response = as_uma.post("/api/v1/appointments/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"duration_minutes", "location", "client"}


# --- Changing ---------------------------------------------------------------------------------------------------


def test_moving_sends_an_update_with_the_next_sequence(as_uma, fiona_reachable):
    appointment = book(as_uma, fiona_reachable).json()
    response = as_uma.patch(
        f"/api/v1/appointments/{appointment['id']}/", {"starts_at": "2031-01-06T14:00:00Z"}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["starts_at"], body["ends_at"], body["sequence"]) == (
        "2031-01-06T14:00:00Z",
        "2031-01-06T14:50:00Z",
        1,
    )
    assert appointment_emails(fiona_reachable) == 2  # confirmation (withdrawn), then the update


def test_a_new_note_alone_tells_the_client_nothing(as_uma, fiona_reachable):
    appointment = book(as_uma, fiona_reachable).json()
    response = as_uma.patch(f"/api/v1/appointments/{appointment['id']}/", {"note": "Bring the diary."}, format="json")
    assert response.status_code == 200
    assert (response.json()["note"], response.json()["sequence"]) == ("Bring the diary.", 0)
    assert appointment_emails(fiona_reachable) == 1


def test_a_change_into_a_clash_is_a_400_and_changes_nothing(as_uma, fiona_reachable):
    book(as_uma, fiona_reachable, "2031-01-06T10:00:00Z")
    later = book(as_uma, fiona_reachable, "2031-01-06T12:00:00Z").json()
    response = as_uma.patch(
        f"/api/v1/appointments/{later['id']}/", {"starts_at": "2031-01-06T10:15:00Z"}, format="json"
    )
    assert response.status_code == 400 and "starts_at" in response.json()
    assert Appointment.objects.get(pk=later["id"]).starts_at.hour == 12


def test_an_appointment_cannot_be_replaced_wholesale(as_uma, fiona_reachable):
    appointment = book(as_uma, fiona_reachable).json()
    response = as_uma.put(f"/api/v1/appointments/{appointment['id']}/", {"note": "x"}, format="json")
    assert response.status_code == 405


# --- Status -----------------------------------------------------------------------------------------------------


def test_cancelling_frees_the_time_and_a_second_cancel_is_a_conflict(as_uma, fiona_reachable):
    appointment = book(as_uma, fiona_reachable).json()
    url = f"/api/v1/appointments/{appointment['id']}/"
    cancelled = as_uma.post(url + "cancel/").json()
    assert cancelled["status"] == "cancelled" and cancelled["cancelled_at"] and cancelled["sequence"] == 1
    again = as_uma.post(url + "cancel/")
    assert again.status_code == 409 and "booked" in again.json()["detail"]
    moved = as_uma.patch(url, {"starts_at": "2031-01-06T15:00:00Z"}, format="json")
    assert moved.status_code == 409
    assert as_uma.patch(url, {"note": "Cancelled by phone."}, format="json").status_code == 200
    assert book(as_uma, fiona_reachable).status_code == 201  # the slot is free again


def test_the_outcome_is_recorded_once_the_session_has_started(as_uma, fiona_reachable):
    future = book(as_uma, fiona_reachable).json()
    refused = as_uma.post(f"/api/v1/appointments/{future['id']}/completed/")
    assert refused.status_code == 409 and "started" in refused.json()["detail"]
    past = book(as_uma, fiona_reachable, in_the_past()).json()
    url = f"/api/v1/appointments/{past['id']}/"
    assert as_uma.post(url + "completed/").json()["status"] == "completed"
    assert as_uma.post(url + "no-show/").json()["status"] == "no_show"  # correctable
    assert as_uma.post(url + "cancel/").status_code == 409


def test_status_actions_need_the_change_permission(world, as_uma, uma, fiona_reachable):
    appointment = book(as_uma, fiona_reachable).json()
    uma.user_permissions.clear()
    for group in uma.groups.all():
        uma.groups.remove(group)
    assert as_uma.post(f"/api/v1/appointments/{appointment['id']}/cancel/").status_code == 403
    assert Appointment.objects.get(pk=appointment["id"]).status == "booked"


# --- Reading ----------------------------------------------------------------------------------------------------


def test_appointments_are_filtered_by_client_status_and_dates_and_ordered(world, as_tess, tess, fiona_reachable):
    cara = world["tess"].client
    for day in (5, 6, 7):
        assert book(as_tess, cara, f"2031-01-{day:02d}T10:00:00Z").status_code == 201
    book(as_tess, fiona_reachable, "2031-01-06T12:00:00Z", therapist=fiona_reachable.therapist_id)
    cancelled = book(as_tess, cara, "2031-01-08T10:00:00Z").json()
    as_tess.post(f"/api/v1/appointments/{cancelled['id']}/cancel/")

    def ids(query: str) -> list[int]:
        response = as_tess.get(f"/api/v1/appointments/?{query}")
        assert response.status_code == 200, response.json()
        return [row["starts_at"][:16] for row in response.json()["results"]]

    assert ids(f"client={cara.pk}&status=booked") == ["2031-01-05T10:00", "2031-01-06T10:00", "2031-01-07T10:00"]
    window = "starts_after=2031-01-06T00:00:00Z&starts_before=2031-01-07T11:00:00%2B01:00"
    assert ids(window) == ["2031-01-06T10:00", "2031-01-06T12:00"]
    assert ids(f"{window}&ordering=-starts_at") == ["2031-01-06T12:00", "2031-01-06T10:00"]
    assert ids("status=cancelled") == ["2031-01-08T10:00"]


@pytest.mark.parametrize(
    "query",
    [
        "starts_after=2031-01-06T00:00:00",
        "starts_before=2031-01-06",
        "starts_after=0001-01-01T00:00:00%2B05:00",
        "status=asleep",
        "client=1e99",
    ],
)
def test_a_bad_filter_is_a_400_that_says_why(world, as_tess, query):
    response = as_tess.get(f"/api/v1/appointments/?{query}")
    assert response.status_code == 400
    name = query.split("=")[0]
    assert name in response.json()


def test_a_naive_filter_time_is_refused_rather_than_guessed(world, as_tess):
    response = as_tess.get("/api/v1/appointments/?starts_after=2031-01-06T00:00:00")
    assert "offset" in response.json()["starts_after"][0]


# --- Mass assignment --------------------------------------------------------------------------------------------


def server_set(otto, olga_appointment) -> dict:
    return {
        "id": 999999,
        "status": AppointmentStatus.COMPLETED,
        "ends_at": FAR_FUTURE,
        "uid": "00000000-0000-0000-0000-000000000000",
        "sequence": 9,
        "next_reminder_at": FAR_FUTURE,
        "reminders_sent": 7,
        "cancelled_at": FAR_FUTURE,
        "booked_by": otto.pk,
        "created_at": FAR_FUTURE,
        "updated_at": FAR_FUTURE,
        "time_zone": "Pacific/Auckland",
        "client_name": "Forged",
    }


def test_booking_ignores_status_end_calendar_and_bookkeeping_fields(world, as_uma, uma, otto, fiona_reachable):
    response = book(as_uma, fiona_reachable, **server_set(otto, None))
    assert response.status_code == 201, response.json()
    appointment = Appointment.objects.get(pk=response.json()["id"])
    assert appointment.pk != 999999
    assert (appointment.status, appointment.sequence, appointment.reminders_sent) == ("booked", 0, 0)
    assert appointment.ends_at == appointment.starts_at + timedelta(minutes=50)
    assert str(appointment.uid) != "00000000-0000-0000-0000-000000000000"
    assert appointment.booked_by == uma and appointment.cancelled_at is None
    assert appointment.created_at.year != 2099 and appointment.next_reminder_at.year != 2099


def test_changing_cannot_move_an_appointment_to_another_client_therapist_or_status(
    world, as_tess, uma, tess, fiona_reachable
):
    appointment = Appointment.objects.get(pk=book(as_tess, fiona_reachable, therapist=uma.pk).json()["id"])
    cara = world["tess"].client
    body = {"note": "changed", "client": cara.pk, "therapist": tess.pk, **server_set(tess, None)}
    response = as_tess.patch(f"/api/v1/appointments/{appointment.pk}/", body, format="json")
    assert response.status_code == 200, response.json()
    fresh = Appointment.objects.get(pk=appointment.pk)
    assert (fresh.client, fresh.therapist, fresh.status, fresh.note) == (fiona_reachable, uma, "booked", "changed")
    assert (fresh.uid, fresh.sequence, fresh.ends_at) == (appointment.uid, 0, appointment.ends_at)


def test_the_status_actions_change_only_the_status(world, as_uma, fiona_reachable):
    appointment = Appointment.objects.get(pk=book(as_uma, fiona_reachable, in_the_past()).json()["id"])
    forged = {"starts_at": FAR_FUTURE, "note": "forged", "status": "cancelled", "duration_minutes": 5}
    for action, expected in (("no-show", "no_show"), ("completed", "completed")):
        response = as_uma.post(f"/api/v1/appointments/{appointment.pk}/{action}/", forged, format="json")
        assert response.status_code == 200
        fresh = Appointment.objects.get(pk=appointment.pk)
        assert (fresh.status, fresh.note, fresh.starts_at, fresh.duration_minutes) == (
            expected,
            "",
            appointment.starts_at,
            50,
        )


# --- Questionnaire plans ----------------------------------------------------------------------------------------


def test_a_plan_is_made_listed_and_deactivated(world, as_uma, uma, fiona_reachable):
    response = as_uma.post(
        "/api/v1/questionnaire-plans/",
        {"client": fiona_reachable.pk, "instrument": "mood-check", "timing": "after_each", "hours": 2},
        format="json",
    )
    assert response.status_code == 201, response.json()
    plan = response.json()
    assert (plan["active"], plan["created_by"], plan["expires_in_days"]) == (True, uma.pk, 7)
    listed = as_uma.get(f"/api/v1/questionnaire-plans/?client={fiona_reachable.pk}&active=true").json()["results"]
    assert [row["id"] for row in listed] == [plan["id"]]
    url = f"/api/v1/questionnaire-plans/{plan['id']}/deactivate/"
    assert as_uma.post(url).json()["active"] is False
    assert as_uma.post(url).json()["active"] is False
    assert not QuestionnairePlan.objects.get(pk=plan["id"]).active


def test_a_plan_needs_a_published_questionnaire_an_hour_before_and_a_current_client(
    world, as_uma, fiona_reachable, make_version
):
    make_version(small_document("draft-check"), publish=False)
    cases = [
        ({"instrument": "draft-check"}, "instrument"),
        ({"instrument": "no-such-thing"}, "instrument"),
        ({"hours": 0, "timing": "before_each"}, "hours"),
        ({"hours": 14 * 24 + 1}, "hours"),
        ({"timing": "whenever"}, "timing"),
    ]
    for change, field in cases:
        body = {"client": fiona_reachable.pk, "instrument": "mood-check", **change}
        response = as_uma.post("/api/v1/questionnaire-plans/", body, format="json")
        assert response.status_code == 400 and field in response.json(), (change, response.json())
    fiona_reachable.status = ClientStatus.DISCHARGED
    fiona_reachable.save()
    response = as_uma.post("/api/v1/questionnaire-plans/", {"client": fiona_reachable.pk, "instrument": "mood-check"})
    assert response.status_code == 400 and "client" in response.json()
    assert not QuestionnairePlan.objects.filter(client=fiona_reachable).exists()


def test_making_a_plan_ignores_active_author_and_dates(world, as_uma, uma, otto, fiona_reachable):
    body = {
        "client": fiona_reachable.pk,
        "instrument": "mood-check",
        "active": False,
        "created_by": otto.pk,
        "created_at": FAR_FUTURE,
        "id": 999999,
    }
    response = as_uma.post("/api/v1/questionnaire-plans/", body, format="json")
    assert response.status_code == 201, response.json()
    plan = QuestionnairePlan.objects.get(pk=response.json()["id"])
    assert (plan.active, plan.created_by, plan.pk != 999999, plan.created_at.year != 2099) == (True, uma, True, True)


def test_deactivating_ignores_anything_posted(world, as_uma, fiona_reachable, version):
    plan = QuestionnairePlan.objects.create(client=fiona_reachable, instrument=version.instrument, hours=24)
    body = {"active": True, "hours": 1, "client": world["tess"].client.pk}
    response = as_uma.post(f"/api/v1/questionnaire-plans/{plan.pk}/deactivate/", body, format="json")
    assert response.status_code == 200
    plan.refresh_from_db()
    assert (plan.active, plan.hours, plan.client) == (False, 24, fiona_reachable)


def test_emails_are_only_those_the_use_cases_send(world, as_uma, fiona_reachable):
    """The API sends nothing of its own: booking a past session (for the record) emails no one."""
    assert book(as_uma, fiona_reachable, in_the_past(48)).status_code == 201
    assert appointment_emails(fiona_reachable) == 0
