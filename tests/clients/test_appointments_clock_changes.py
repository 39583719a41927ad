"""The two clock changes of 2027 in Europe/London, in the service, the admin, the API and the invitation.

28 March 2027: at 01:00 GMT the clocks go forward to 02:00 BST (01:00 to 02:00 does not exist).
31 October 2027: at 02:00 BST the clocks go back to 01:00 GMT (01:00 to 02:00 happens twice).
An appointment is an instant; its end is its start plus its length in real minutes, and a reminder
"24 hours before" is 24 real hours before the start, whatever the clocks do in between.
"""

from __future__ import annotations

import datetime
import re
import zoneinfo
from datetime import UTC, timedelta

import icalendar
import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from clients import appointments
from clients.calendar import appointment_ics
from clients.models import DURATION_MESSAGE, Appointment, Channel
from clients.services import consent_set
from practice.mail.models import OutboundEmail

LONDON = zoneinfo.ZoneInfo("Europe/London")
BST = datetime.timezone(timedelta(hours=1))
#: Early in 2027, so every appointment below is ahead and has its reminders armed.
BEFORE = datetime.datetime(2027, 1, 4, 9, tzinfo=UTC)
CONSTRAINT_NAME = re.compile(r"appointment_\w+|Constraint")


@pytest.fixture
def cara_agrees(cara):
    consent_set(client=cara, channel=Channel.APPOINTMENT_REMINDERS, given=True, source="test")
    return cara


def book(person, starts_at, **fields) -> Appointment:
    return appointments.appointment_book(
        client=person, therapist=person.therapist, starts_at=starts_at, now=BEFORE, **fields
    )


def utc(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)


def invitation_times(appointment: Appointment) -> tuple[datetime.datetime, datetime.datetime]:
    [event] = icalendar.Calendar.from_ical(appointment_ics(appointment)).walk("VEVENT")
    return event.decoded("DTSTART"), event.decoded("DTEND")


def messages_of(refused: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(refused.value.messages)


# --- Reminders are real hours before the start --------------------------------------------------------------


@pytest.mark.parametrize(
    ("local_start", "reminder"),
    [
        # 10:00 BST on the day the clocks go forward is 09:00 UTC: 24 hours earlier is 09:00 UTC (09:00 GMT).
        (datetime.datetime(2027, 3, 28, 10, tzinfo=LONDON), utc(2027, 3, 27, 9)),
        # 10:00 GMT on the day they go back is 10:00 UTC: 24 hours earlier is 10:00 UTC (11:00 BST).
        (datetime.datetime(2027, 10, 31, 10, tzinfo=LONDON), utc(2027, 10, 30, 10)),
    ],
)
def test_a_reminder_24_hours_before_is_24_real_hours_before_on_both_change_days(cara_agrees, local_start, reminder):
    appointment = book(cara_agrees, local_start)
    appointment.refresh_from_db()
    assert appointment.next_reminder_at == reminder
    assert appointment.starts_at - appointment.next_reminder_at == timedelta(hours=24)
    assert appointments.appointments_tick(now=reminder - timedelta(seconds=1)).reminded == 0
    assert appointments.appointments_tick(now=reminder).reminded == 1


def test_the_same_booking_with_a_fixed_offset_is_armed_the_same(cara_agrees):
    zoned = book(cara_agrees, datetime.datetime(2027, 3, 28, 10, tzinfo=LONDON))
    armed = zoned.next_reminder_at
    appointments.appointment_cancel(appointment=zoned, now=BEFORE)
    fixed = book(cara_agrees, datetime.datetime(2027, 3, 28, 10, tzinfo=BST))
    assert fixed.next_reminder_at == utc(2027, 3, 27, 9) == armed


def test_moving_onto_a_change_day_re_arms_the_reminder_in_real_hours(cara_agrees, settings):
    settings.CLIENTS_APPOINTMENT_REMINDERS = {"hours_before": [48, 2]}
    appointment = book(cara_agrees, datetime.datetime(2027, 3, 1, 10, tzinfo=LONDON))
    moved = appointments.appointment_move(
        appointment=appointment, starts_at=datetime.datetime(2027, 3, 29, 10, tzinfo=LONDON), now=BEFORE
    )
    assert moved.next_reminder_at == utc(2027, 3, 27, 9)  # 48 h before 09:00 UTC on the 29th
    assert appointments.reminder_slots(moved.starts_at)[-1].due == utc(2027, 3, 29, 7)


# --- The end is the start plus the length in real minutes ----------------------------------------------------


@pytest.mark.parametrize(
    ("local_start", "end"),
    [
        # 00:30 GMT for 90 minutes ends at 02:00 UTC, which the clocks call 03:00 BST.
        (datetime.datetime(2027, 3, 28, 0, 30, tzinfo=LONDON), utc(2027, 3, 28, 2)),
        # 00:30 BST (23:30 UTC) for 90 minutes ends at 01:00 UTC: the second 01:00, in GMT.
        (datetime.datetime(2027, 10, 31, 0, 30, tzinfo=LONDON), utc(2027, 10, 31, 1)),
    ],
)
def test_a_session_across_the_change_stores_its_real_end_and_the_invitation_agrees(cara_agrees, local_start, end):
    appointment = book(cara_agrees, local_start, duration_minutes=90)
    appointment.refresh_from_db()
    assert appointment.ends_at == end
    assert appointment.ends_at - appointment.starts_at == timedelta(minutes=90)
    assert invitation_times(appointment) == (appointment.starts_at, appointment.ends_at)


def test_the_invitation_names_the_second_pass_of_a_repeated_hour_in_utc(cara_agrees):
    """A calendar reads 01:30 with a TZID as the first 01:30 (RFC 5545): the second is sent in UTC."""
    appointment = book(cara_agrees, datetime.datetime(2027, 10, 31, 1, 30, tzinfo=datetime.UTC))  # 01:30 GMT
    ics = appointment_ics(appointment)
    assert "DTSTART:20271031T013000Z" in ics and "DTEND:20271031T022000Z" in ics
    assert invitation_times(appointment) == (utc(2027, 10, 31, 1, 30), utc(2027, 10, 31, 2, 20))
    first = book(cara_agrees, datetime.datetime(2027, 10, 31, 0, 0, tzinfo=BST), duration_minutes=30)
    assert "DTSTART;TZID=Europe/London:20271031T000000" in appointment_ics(first)


def test_the_diary_blocks_the_real_length_across_the_spring_change(cara_agrees, make_client, tess):
    book(cara_agrees, datetime.datetime(2027, 3, 28, 0, 30, tzinfo=LONDON), duration_minutes=90)  # to 03:00 BST
    other = make_client(tess)
    with pytest.raises(ValidationError, match="from 00:30 to 03:00"):
        book(other, datetime.datetime(2027, 3, 28, 2, 30, tzinfo=LONDON))
    book(other, datetime.datetime(2027, 3, 28, 3, 0, tzinfo=LONDON))  # as it ends


def test_a_free_slot_in_the_repeated_hour_can_be_booked(cara_agrees, make_client, tess):
    book(cara_agrees, datetime.datetime(2027, 10, 31, 0, 30, tzinfo=LONDON), duration_minutes=90)  # to 01:00 GMT
    other = make_client(tess)
    with pytest.raises(ValidationError, match="already has an appointment"):
        book(other, datetime.datetime(2027, 10, 31, 1, 30, tzinfo=BST))  # the first 01:30
    second = book(other, datetime.datetime(2027, 10, 31, 1, 30, tzinfo=UTC), duration_minutes=30)  # the second
    assert second.ends_at - second.starts_at == timedelta(minutes=30)


def test_a_time_in_the_repeated_hour_is_written_with_its_zone_in_the_email_and_the_list(
    client, tess, cara_agrees, in_january
):
    appointment = book(cara_agrees, utc(2027, 10, 31, 1, 30))  # the second 01:30, in GMT
    [confirmation] = OutboundEmail.objects.filter(personalise_id=appointment.pk)
    assert "Sunday 31 October 2027, 01:30 GMT to 02:20 (Europe/London)" in confirmation.body_text
    assert confirmation.subject.endswith("at 01:30 GMT")
    client.force_login(tess)
    listed = client.get(reverse("admin:clients_appointment_changelist")).content.decode()
    assert "Sun 31 Oct 2027, 01:30 GMT to 02:20" in listed
    with pytest.raises(ValidationError, match="from 01:30 GMT to 02:20"):
        book(cara_agrees, utc(2027, 10, 31, 2))


# --- Times that do not exist or happen twice, and lengths: the service ------------------------------------------


def test_the_service_refuses_a_time_in_the_spring_gap_saying_the_clocks_go_forward(cara_agrees):
    with pytest.raises(ValidationError) as refused:
        book(cara_agrees, datetime.datetime(2027, 3, 28, 1, 30, tzinfo=LONDON))
    message = messages_of(refused)
    assert "The clocks go forward from 01:00 to 02:00 on Sunday 28 March 2027" in message
    assert "01:30 does not exist" in message and "00:30 GMT (+00:00)" in message and "02:30 BST (+01:00)" in message
    assert not CONSTRAINT_NAME.search(message)
    assert Appointment.objects.count() == 0


def test_the_service_refuses_a_repeated_time_without_its_offset_and_takes_it_with_one(cara_agrees):
    with pytest.raises(ValidationError) as refused:
        book(cara_agrees, datetime.datetime(2027, 10, 31, 1, 30, tzinfo=LONDON))
    message = messages_of(refused)
    assert "01:30 on Sunday 31 October 2027 happens twice" in message
    assert "01:30 BST (+01:00)" in message and "01:30 GMT (+00:00)" in message
    assert Appointment.objects.count() == 0
    second = book(cara_agrees, datetime.datetime(2027, 10, 31, 1, 30, tzinfo=LONDON, fold=1).astimezone(UTC))
    assert second.starts_at == utc(2027, 10, 31, 1, 30) and second.ends_at == utc(2027, 10, 31, 2, 20)


@pytest.mark.parametrize("minutes", [-5, 0, 4, 601, 40000])
def test_the_service_says_the_real_bounds_of_a_length(cara_agrees, minutes):
    with pytest.raises(ValidationError) as refused:
        book(cara_agrees, datetime.datetime(2027, 6, 1, 10, tzinfo=LONDON), duration_minutes=minutes)
    assert refused.value.message_dict == {"duration_minutes": [str(DURATION_MESSAGE)]}
    assert "from 5 to 600 minutes" in str(DURATION_MESSAGE)


def test_a_check_constraint_the_database_enforces_speaks_its_own_message(cara_agrees):
    """Should a row reach the database past the checks, a check constraint still names no constraint."""
    appointment = book(cara_agrees, datetime.datetime(2027, 6, 1, 10, tzinfo=LONDON))
    appointment.duration_minutes = 700
    with pytest.raises(ValidationError) as refused:
        appointments._save_guarded(appointment)
    assert refused.value.messages == [str(DURATION_MESSAGE)]


# --- The admin -----------------------------------------------------------------------------------------------


def admin_form(**fields) -> dict:
    day, time = fields.pop("starts")
    return {
        "starts_at_0": day,
        "starts_at_1": time,
        "duration_minutes": 50,
        "kind": "in_person",
        "location": "",
        "meeting_url": "",
        "note": "",
        **fields,
    }


@pytest.fixture
def in_january():
    with time_machine.travel(BEFORE, tick=False):
        yield


@pytest.mark.parametrize(
    ("day", "shown", "stored"),
    [
        ("2027-03-28", "Sat 27 Mar 2027, 09:00 GMT", utc(2027, 3, 27, 9)),
        ("2027-10-31", "Sat 30 Oct 2027, 11:00 BST", utc(2027, 10, 30, 10)),
    ],
)
def test_the_admin_books_on_a_change_day_and_shows_the_real_next_reminder(
    client, tess, cara_agrees, in_january, day, shown, stored
):
    client.force_login(tess)
    add = reverse("admin:clients_appointment_add")
    response = client.post(add, admin_form(client=cara_agrees.pk, therapist=tess.pk, starts=(day, "10:00")))
    assert response.status_code == 302, response.content.decode()[:2000]
    appointment = Appointment.objects.get()
    assert appointment.next_reminder_at == stored
    page = client.get(reverse("admin:clients_appointment_change", args=[appointment.pk])).content.decode()
    assert shown in page


def test_the_admin_refuses_a_time_in_the_gap_with_the_nearest_valid_times(client, tess, cara_agrees, in_january):
    client.force_login(tess)
    add = reverse("admin:clients_appointment_add")
    response = client.post(add, admin_form(client=cara_agrees.pk, therapist=tess.pk, starts=("2027-03-28", "01:30")))
    page = response.content.decode()
    assert response.status_code == 200
    assert "The clocks go forward from 01:00 to 02:00 on Sunday 28 March 2027" in page
    assert "00:30 GMT (+00:00) and 02:30 BST (+01:00)" in page
    assert "interpreted in time zone" not in page  # Django's generic refusal
    assert "appointment_ends_after" not in page and "Constraint" not in page
    assert Appointment.objects.count() == 0


def test_the_admin_asks_which_of_the_repeated_times_is_meant(client, tess, cara_agrees, in_january):
    client.force_login(tess)
    add = reverse("admin:clients_appointment_add")
    blank = client.get(add).content.decode()
    assert 'type="hidden" name="starts_at_occurrence"' in blank  # no choice on an ordinary day
    form = admin_form(client=cara_agrees.pk, therapist=tess.pk, starts=("2027-10-31", "01:30"))
    asked = client.post(add, form)
    page = asked.content.decode()
    assert asked.status_code == 200 and Appointment.objects.count() == 0
    assert "01:30 on Sunday 31 October 2027 happens twice" in page
    assert 'type="radio" name="starts_at_occurrence" value="first"' in page
    assert "The first 01:30 BST (+01:00)" in page and "The second 01:30 GMT (+00:00)" in page
    response = client.post(add, {**form, "starts_at_occurrence": "second"})
    assert response.status_code == 302, response.content.decode()[:2000]
    appointment = Appointment.objects.get()
    assert (appointment.starts_at, appointment.ends_at) == (utc(2027, 10, 31, 1, 30), utc(2027, 10, 31, 2, 20))
    assert appointment.next_reminder_at == utc(2027, 10, 30, 1, 30)


def test_changing_only_the_note_keeps_the_second_pass_of_a_repeated_time(client, tess, cara_agrees, in_january):
    appointment = book(cara_agrees, utc(2027, 10, 31, 1, 30))
    client.force_login(tess)
    change = reverse("admin:clients_appointment_change", args=[appointment.pk])
    response = client.post(change, admin_form(therapist=tess.pk, starts=("2027-10-31", "01:30"), note="Late one"))
    assert response.status_code == 302, response.content.decode()[:2000]
    appointment.refresh_from_db()
    assert appointment.starts_at == utc(2027, 10, 31, 1, 30) and appointment.note == "Late one"
    assert appointment.sequence == 0  # nothing the client sees changed


@pytest.mark.parametrize("minutes", ["-5", "0", "601"])
def test_the_admin_says_the_real_bounds_of_a_length(client, tess, cara_agrees, in_january, minutes):
    client.force_login(tess)
    add = reverse("admin:clients_appointment_add")
    form = admin_form(client=cara_agrees.pk, therapist=tess.pk, starts=("2027-06-01", "10:00"))
    page = client.post(add, {**form, "duration_minutes": minutes}).content.decode()
    assert "A session lasts from 5 to 600 minutes (10 hours)." in page
    assert "greater than or equal to 0" not in page and "appointment_duration_valid" not in page
    assert Appointment.objects.count() == 0


# --- The API -------------------------------------------------------------------------------------------------


@pytest.fixture
def as_tess(tess):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(tess)
    return api


def api_book(api, person, starts_at, **fields):
    return api.post("/api/v1/appointments/", {"client": person.pk, "starts_at": starts_at, **fields}, format="json")


def test_the_api_names_both_offsets_of_a_repeated_time_without_one(as_tess, cara_agrees, in_january):
    response = api_book(as_tess, cara_agrees, "2027-10-31T01:30:00")
    assert response.status_code == 400
    [message] = response.json()["starts_at"]
    assert "2027-10-31T01:30:00 happens twice in Europe/London" in message
    assert "2027-10-31T01:30:00+01:00 for the first (BST)" in message
    assert "2027-10-31T01:30:00+00:00 for the second (GMT)" in message
    body = api_book(as_tess, cara_agrees, "2027-10-31T01:30:00+00:00").json()
    assert (body["starts_at"], body["ends_at"]) == ("2027-10-31T01:30:00Z", "2027-10-31T02:20:00Z")
    assert body["next_reminder_at"] == "2027-10-30T02:30:00+01:00"  # 24 real hours before, in BST


def test_the_api_says_a_time_in_the_gap_does_not_exist(as_tess, cara_agrees, in_january):
    response = api_book(as_tess, cara_agrees, "2027-03-28T01:30:00")
    assert response.status_code == 400
    [message] = response.json()["starts_at"]
    assert "2027-03-28T01:30:00 does not exist in Europe/London: the clocks go forward from 01:00 to 02:00" in message
    assert "2027-03-28T00:30:00+00:00 (GMT) and 2027-03-28T02:30:00+01:00 (BST)" in message


def test_the_api_gives_an_ordinary_time_without_an_offset_back_with_the_practices(as_tess, cara_agrees, in_january):
    response = api_book(as_tess, cara_agrees, "2027-03-28T10:00:00")
    assert response.status_code == 400
    assert "that is 2027-03-28T10:00:00+01:00" in response.json()["starts_at"][0]


def test_the_api_books_on_the_spring_change_day_with_the_real_reminder_and_end(as_tess, cara_agrees, in_january):
    body = api_book(as_tess, cara_agrees, "2027-03-28T00:30:00+00:00", duration_minutes=90).json()
    assert (body["starts_at"], body["ends_at"]) == ("2027-03-28T00:30:00Z", "2027-03-28T03:00:00+01:00")
    assert body["next_reminder_at"] == "2027-03-27T00:30:00Z"


@pytest.mark.parametrize("minutes", [-5, 0, 601])
def test_the_api_says_the_real_bounds_of_a_length(as_tess, cara_agrees, in_january, minutes):
    response = api_book(as_tess, cara_agrees, "2027-06-01T10:00:00+01:00", duration_minutes=minutes)
    assert response.status_code == 400
    assert response.json() == {"duration_minutes": [str(DURATION_MESSAGE)]}
    moved = api_book(as_tess, cara_agrees, "2027-06-01T10:00:00+01:00").json()
    change = as_tess.patch(f"/api/v1/appointments/{moved['id']}/", {"duration_minutes": minutes}, format="json")
    assert change.json() == {"duration_minutes": [str(DURATION_MESSAGE)]}
