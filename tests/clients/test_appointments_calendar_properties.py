"""Properties of appointments over the calendar, in a zone with northern clock changes (Europe/London), one with
southern ones (Australia/Sydney, whose clocks go forward in October) and one without any (Asia/Kolkata).

Whatever the day and the clocks: the end is the start plus the length; each reminder is exactly its configured
real hours before the start; the invitation's DTSTART and DTEND, read back by a calendar library, are the stored
instants; and a second booking for the therapist is refused exactly when the two real intervals intersect.
"""

from __future__ import annotations

import datetime
import zoneinfo
from datetime import UTC, timedelta

import hypothesis
import icalendar
import pytest
from django.core.exceptions import ValidationError
from hypothesis import example, given
from hypothesis import strategies as st

from clients import appointments, wallclock
from clients.calendar import appointment_ics, invitation_times
from clients.models import DURATION_MINUTES, Appointment, Channel, Client
from clients.services import consent_set

ZONES = ("Europe/London", "Australia/Sydney", "Asia/Kolkata")
FIRST_DAY, LAST_DAY = datetime.date(2026, 1, 1), datetime.date(2029, 12, 31)
BEFORE = datetime.datetime(2025, 12, 1, tzinfo=UTC)  # every booking below is ahead of "now"
HOURS_BEFORE = st.sampled_from([0.5, 2, 23, 24, 25, 48])
LENGTHS = st.integers(DURATION_MINUTES[0], DURATION_MINUTES[1])
#: Clock change days of these years, so each run tries them whatever else it draws.
CHANGE_DAYS = {
    "Europe/London": [datetime.date(2027, 3, 28), datetime.date(2027, 10, 31), datetime.date(2026, 3, 29)],
    "Australia/Sydney": [datetime.date(2027, 4, 4), datetime.date(2027, 10, 3), datetime.date(2028, 4, 2)],
    "Asia/Kolkata": [datetime.date(2027, 3, 28)],
}
PROPERTY_SETTINGS = hypothesis.settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture, hypothesis.HealthCheck.too_slow],
)


def every_day():
    day = FIRST_DAY
    while day <= LAST_DAY:
        yield day
        day += timedelta(days=1)


def local_instant(zone: zoneinfo.ZoneInfo, day: datetime.date, minute: int, second_pass: bool) -> datetime.datetime:
    """The instant a clock in ``zone`` reads ``minute`` past midnight on ``day`` (the nearest after a gap)."""
    wall = datetime.datetime.combine(day, datetime.time()) + timedelta(minutes=minute)
    reading = wallclock.read(wall, zone)
    if reading.kind == "gap":
        return reading.candidates[1].astimezone(UTC)
    return reading.candidates[second_pass and reading.kind == "overlap"].astimezone(UTC)


# --- Every day of four years, in memory ----------------------------------------------------------------------


@pytest.mark.parametrize("zone_name", ZONES)
def test_every_day_of_four_years_keeps_real_lengths_reminders_and_invitation_times(zone_name, make_practice, settings):
    """No database: an unsaved appointment at the start of the day, at 01:30 (both passes where it happens twice,
    in the gap where it does not exist) and at 02:30, for 90 minutes, with reminders 24 and 2 hours before."""
    settings.CLIENTS_APPOINTMENT_REMINDERS = {"hours_before": [24, 2]}
    practice = make_practice(time_zone=zone_name)
    zone = zoneinfo.ZoneInfo(zone_name)

    person = Client(practice=practice, first_name="Day", last_name="Sweep", email="sweep@example.net")
    checked = 0
    for day in every_day():
        for minute, second_pass in ((0, False), (90, False), (90, True), (150, False)):
            start = local_instant(zone, day, minute, second_pass)
            local = start.astimezone(zone)  # as a local clock holds it: arithmetic on it would be wall-clock
            appointment = Appointment(client=person, starts_at=local, duration_minutes=90)
            assert appointment.computed_end() - start == timedelta(minutes=90)
            for slot, hours in zip(appointments.reminder_slots(local), (24, 2), strict=True):
                assert start - slot.due == timedelta(hours=hours)
            dtstart, dtend = invitation_times(appointment)
            for shown, instant in ((dtstart, start), (dtend, appointment.computed_end())):
                # A calendar reads a local time with a TZID as its first pass (RFC 5545, 3.3.5).
                read_back = shown if shown.tzinfo is UTC else shown.replace(fold=0)
                assert read_back.astimezone(UTC) == instant
            checked += 1
    assert checked == 4 * ((LAST_DAY - FIRST_DAY).days + 1)


# --- Bookings through the service, drawn by hypothesis -------------------------------------------------------


@pytest.fixture
def booker(make_practice, make_staff, make_client):
    """A therapist and a consenting client per zone, and a booking function that tidies up after each example."""
    people = {}
    for name in ZONES:
        practice = make_practice(time_zone=name)
        therapist = make_staff(f"t{len(people)}", practice)
        person = make_client(therapist, practice)
        consent_set(client=person, channel=Channel.APPOINTMENT_REMINDERS, given=True, source="test")
        other = make_client(therapist, practice)
        people[name] = (therapist, person, other)
    return people


def instants(zone_name: str):
    zone = zoneinfo.ZoneInfo(zone_name)
    days = st.dates(FIRST_DAY, LAST_DAY)
    return st.builds(
        lambda day, minute, second: local_instant(zone, day, minute, second),
        st.one_of(days, st.sampled_from(CHANGE_DAYS[zone_name])),
        st.integers(0, 24 * 60 - 1),
        st.booleans(),
    )


def _book(therapist, person, start, length):
    return appointments.appointment_book(
        client=person, therapist=therapist, starts_at=start, duration_minutes=length, now=BEFORE
    )


@pytest.mark.parametrize("zone_name", ZONES)
def test_a_booking_on_any_day_has_its_real_length_reminder_and_invitation(zone_name, booker, settings):
    therapist, person, _other = booker[zone_name]

    @PROPERTY_SETTINGS
    @given(start=instants(zone_name), length=LENGTHS, hours=HOURS_BEFORE)
    @example(
        start=local_instant(zoneinfo.ZoneInfo(zone_name), CHANGE_DAYS[zone_name][0], 90, True), length=90, hours=24
    )
    @example(
        start=local_instant(zoneinfo.ZoneInfo(zone_name), CHANGE_DAYS[zone_name][-1], 30, False), length=90, hours=24
    )
    def check(start, length, hours):
        settings.CLIENTS_APPOINTMENT_REMINDERS = {"hours_before": [hours]}
        try:
            appointment = _book(therapist, person, start, length)
            appointment.refresh_from_db()
            assert appointment.starts_at == start
            assert appointment.ends_at - appointment.starts_at == timedelta(minutes=length)
            due = start - timedelta(hours=hours)
            assert appointment.next_reminder_at == due
            assert (
                appointments.reminder_send(appointment_id=appointment.pk, now=due - timedelta(microseconds=1)) is None
            )
            assert appointments.reminder_send(appointment_id=appointment.pk, now=due) == int(hours * 60)
            [event] = icalendar.Calendar.from_ical(appointment_ics(appointment)).walk("VEVENT")
            assert event.decoded("DTSTART").astimezone(UTC) == appointment.starts_at
            assert event.decoded("DTEND").astimezone(UTC) == appointment.ends_at
        finally:
            Appointment.objects.all().delete()

    check()


@pytest.mark.parametrize("zone_name", ZONES)
def test_a_second_booking_is_refused_exactly_when_the_real_intervals_intersect(zone_name, booker):
    therapist, person, other = booker[zone_name]

    @PROPERTY_SETTINGS
    @given(
        start=instants(zone_name),
        length=LENGTHS,
        shift=st.integers(-11 * 60, 11 * 60),
        other_length=LENGTHS,
    )
    @example(  # the second 01:30 right after a session ending at the first: free on London's autumn night
        start=datetime.datetime(2027, 10, 30, 23, 30, tzinfo=UTC), length=90, shift=120, other_length=30
    )
    def check(start, length, shift, other_length):
        try:
            first = _book(therapist, person, start, length)
            second_start = start + timedelta(minutes=shift)
            second_end = second_start + timedelta(minutes=other_length)
            intersect = second_start < first.ends_at and first.starts_at < second_end
            if intersect:
                with pytest.raises(ValidationError, match="already has an appointment"):
                    _book(therapist, other, second_start, other_length)
                assert Appointment.objects.count() == 1
            else:
                _book(therapist, other, second_start, other_length)
                assert Appointment.objects.count() == 2
        finally:
            Appointment.objects.all().delete()

    check()
