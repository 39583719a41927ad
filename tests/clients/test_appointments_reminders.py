"""Appointment reminders by beat, in frozen time: each slot once, moves re-arm, nothing after the start."""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Callable
from datetime import timedelta

import icalendar
import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from clients import appointments, tasks
from clients.models import Appointment, Channel
from clients.services import consent_set
from practice.mail import outbox
from practice.mail.models import EmailStatus, OutboundEmail

LONDON = zoneinfo.ZoneInfo("Europe/London")
STEP = timedelta(minutes=30)


def utc(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=datetime.UTC)


def london(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=LONDON)


@pytest.fixture
def cara_agrees(cara):
    consent_set(client=cara, channel=Channel.APPOINTMENT_REMINDERS, given=True, source="test")
    return cara


def book(person, starts_at, **fields) -> Appointment:
    return appointments.appointment_book(client=person, therapist=person.therapist, starts_at=starts_at, **fields)


def run_beat(
    start: datetime.datetime,
    end: datetime.datetime,
    *,
    down: tuple[datetime.datetime, datetime.datetime] | None = None,
    events: dict[datetime.datetime, Callable[[], object]] | None = None,
) -> None:
    """Every half hour from ``start`` to ``end``: the day's events, then the beat twice and a drain of the outbox.

    While the worker is ``down`` (a half-open interval) neither the beat's tasks nor the drain run.
    """
    events = dict(events or {})
    moment = start
    while moment <= end:
        with time_machine.travel(moment, tick=False):
            if moment in events:
                events.pop(moment)()
            if not (down and down[0] <= moment < down[1]):
                tasks.appointments_tick.delay()  # eager in tests: the task as beat sends it
                appointments.appointments_tick()
                outbox.drain()
        moment += STEP
    assert not events, f"events never reached: {sorted(events)}"


def reminders_of(appointment: Appointment) -> list[tuple[str, datetime.datetime]]:
    rows = OutboundEmail.objects.filter(
        personaliser=appointments.emails.APPOINTMENT_REMINDER_PERSONALISER, personalise_id=appointment.pk
    ).order_by("created_at", "pk")
    return [(row.idempotency_key.split(":", 2)[2], row.created_at) for row in rows]


def sent_at(reminders, due: datetime.datetime) -> bool:
    return any(due <= created < due + STEP for _key, created in reminders)


def test_two_weeks_across_the_clocks_going_forward_send_exactly_the_expected_reminders(cara_agrees, settings):
    """2026-03-29: Europe/London moves from GMT to BST. Reminders 24 h and 2 h before each appointment."""
    settings.CLIENTS_APPOINTMENT_REMINDERS = {"hours_before": [24, 2]}
    start = utc(2026, 3, 23, 0, 0)
    cara = cara_agrees
    with time_machine.travel(start, tick=False):
        plain = book(cara, london(2026, 3, 24, 10, 0))  # GMT: 10:00Z
        dst = book(cara, london(2026, 3, 30, 9, 0))  # the day after the change, BST: 08:00Z
        moved = book(cara, utc(2026, 3, 25, 15, 0))
        cancelled = book(cara, utc(2026, 3, 27, 11, 0))
        outage = book(cara, london(2026, 4, 2, 12, 0))  # BST: 11:00Z
        missed = book(cara, london(2026, 4, 1, 15, 0))  # starts while the worker is down
        past = book(cara, utc(2026, 3, 22, 10, 0))
    assert dst.starts_at == utc(2026, 3, 30, 8, 0)

    run_beat(
        start,
        start + timedelta(days=14),
        down=(utc(2026, 4, 1, 10, 0), utc(2026, 4, 2, 10, 30)),
        events={
            utc(2026, 3, 24, 18, 0): lambda: appointments.appointment_move(
                appointment=moved, starts_at=utc(2026, 3, 26, 15, 0)
            ),
            utc(2026, 3, 26, 9, 0): lambda: appointments.appointment_cancel(appointment=cancelled),
        },
    )

    expected = {
        plain: [("0:reminder:1440", utc(2026, 3, 23, 10)), ("0:reminder:120", utc(2026, 3, 24, 8))],
        # 24 hours before 09:00 BST on Monday is 09:00 BST on Sunday, after the change.
        dst: [("0:reminder:1440", utc(2026, 3, 29, 8)), ("0:reminder:120", utc(2026, 3, 30, 6))],
        # One reminder of the old time, then both slots again for the new time (SEQUENCE 1).
        moved: [
            ("0:reminder:1440", utc(2026, 3, 24, 15)),
            ("1:reminder:1440", utc(2026, 3, 25, 15)),
            ("1:reminder:120", utc(2026, 3, 26, 13)),
        ],
        cancelled: [],
        # Back at 10:30Z, half an hour before the start: the latest slot goes, late, once; the earlier one is passed.
        outage: [("0:reminder:120", utc(2026, 4, 2, 10, 30))],
        # Its 2-hour slot and its start both fell in the outage: nothing after the start.
        missed: [("0:reminder:1440", utc(2026, 3, 31, 14))],
        past: [],
    }
    for appointment, slots in expected.items():
        got = reminders_of(appointment)
        assert [key for key, _created in got] == [key for key, _due in slots], appointment
        for _key, due in slots:
            assert sent_at(got, due), (appointment, due, got)

    reminders = [message for message in mail.outbox if str(message.subject).startswith("Reminder:")]
    assert len(reminders) == sum(len(slots) for slots in expected.values()) == 9
    assert len({message.extra_headers["Message-ID"] for message in reminders}) == 9
    assert not OutboundEmail.objects.exclude(status=EmailStatus.SENT).filter(subject__startswith="Reminder").exists()

    # The DST appointment: reminded and invited at 09:00 local, whatever UTC says.
    dst_reminders = [message for message in reminders if "30 March" in message.subject]
    subject = "Reminder: your appointment on Monday 30 March at 09:00"
    assert [message.subject for message in dst_reminders] == [subject, subject]
    assert all("Monday 30 March 2026, 09:00 to 09:50 (Europe/London)" in m.body for m in dst_reminders)
    confirmation = OutboundEmail.objects.get(idempotency_key=f"appointment:{dst.pk}:booked")
    [event] = icalendar.Calendar.from_ical(confirmation.attachments[0]["content"]).events
    assert event["DTSTART"].params["TZID"] == "Europe/London"
    assert event["DTSTART"].to_ical() == b"20260330T090000"

    # The move sent one update, the cancellation one cancellation; the past appointment nothing at all.
    assert OutboundEmail.objects.filter(idempotency_key=f"appointment:{moved.pk}:update:1").count() == 1
    assert OutboundEmail.objects.filter(idempotency_key=f"appointment:{cancelled.pk}:cancelled").count() == 1
    assert not OutboundEmail.objects.filter(personalise_id=past.pk).exists()


def test_the_clocks_going_back_keep_a_nine_oclock_session_at_nine(cara_agrees):
    """2026-10-25: BST back to GMT. The session the day after is at 09:00 GMT = 09:00Z, reminded 24 h before."""
    start = utc(2026, 10, 23, 12, 0)
    with time_machine.travel(start, tick=False):
        appointment = book(cara_agrees, london(2026, 10, 26, 9, 0))
    assert appointment.starts_at == utc(2026, 10, 26, 9, 0)
    run_beat(start, start + timedelta(days=4))
    assert [key for key, _at in reminders_of(appointment)] == ["0:reminder:1440"]
    assert sent_at(reminders_of(appointment), utc(2026, 10, 25, 9, 0))  # 09:00 GMT on the Sunday
    [message] = [m for m in mail.outbox if m.subject.startswith("Reminder")]
    assert "Monday 26 October 2026, 09:00 to 09:50 (Europe/London)" in message.body


def test_a_reminder_queued_before_the_worker_died_is_not_sent_after_the_start(cara_agrees, settings):
    settings.CLIENTS_APPOINTMENT_REMINDERS = {"hours_before": [1]}
    starts = utc(2026, 5, 5, 10, 0)
    with time_machine.travel(starts - timedelta(days=2), tick=False):
        appointment = book(cara_agrees, starts)
    with time_machine.travel(starts - timedelta(minutes=55), tick=False):
        assert appointments.reminder_send(appointment_id=appointment.pk) == 60  # queued, then the worker dies
    with time_machine.travel(starts + timedelta(minutes=5), tick=False):
        outbox.drain()  # the worker is back after the start
    row = OutboundEmail.objects.get(idempotency_key=f"appointment:{appointment.pk}:0:reminder:60")
    assert row.status == EmailStatus.CANCELLED and not any("Reminder" in m.subject for m in mail.outbox)


def test_a_slot_is_claimed_once_even_when_asked_twice_at_the_same_moment(cara_agrees):
    starts = utc(2026, 5, 5, 10, 0)
    with time_machine.travel(starts - timedelta(days=3), tick=False):
        appointment = book(cara_agrees, starts)
    assert appointment.next_reminder_at == starts - timedelta(hours=24)
    with time_machine.travel(starts - timedelta(hours=23), tick=False):
        assert appointments.reminder_send(appointment_id=appointment.pk) == 24 * 60
        assert appointments.reminder_send(appointment_id=appointment.pk) is None
        assert tasks.appointments_tick.delay().get() == {"reminded": 0, "assigned": 0, "skipped": 0}
    appointment.refresh_from_db()
    assert appointment.reminders_sent == 1 and appointment.next_reminder_at is None


def test_a_booking_inside_the_reminder_window_is_not_reminded_straight_after_its_confirmation(cara_agrees, settings):
    settings.CLIENTS_APPOINTMENT_REMINDERS = {"hours_before": [48, 2]}
    now = utc(2026, 5, 4, 10, 0)
    with time_machine.travel(now, tick=False):
        appointment = book(cara_agrees, now + timedelta(hours=20))
    assert appointment.next_reminder_at == now + timedelta(hours=18)  # the 2-hour slot only
    run_beat(now, now + timedelta(hours=21))
    assert [key for key, _at in reminders_of(appointment)] == ["0:reminder:120"]


def test_no_reminder_without_consent_and_none_after_it_is_withdrawn(cara, settings):
    settings.CLIENTS_APPOINTMENT_REMINDERS = {"hours_before": [24, 2]}
    now = utc(2026, 5, 4, 10, 0)
    with time_machine.travel(now, tick=False):
        appointment = book(cara, now + timedelta(days=2))
    run_beat(now, now + timedelta(days=1, hours=3))  # the 24-hour slot passes without consent
    consent_set(client=cara, channel=Channel.APPOINTMENT_REMINDERS, given=True, source="test")
    run_beat(now + timedelta(days=1, hours=3, minutes=30), now + timedelta(days=2))
    assert [key for key, _at in reminders_of(appointment)] == ["0:reminder:120"]


def test_completed_and_cancelled_appointments_get_no_reminders(cara_agrees, make_client, tess):
    now = utc(2026, 5, 4, 10, 0)
    with time_machine.travel(now, tick=False):
        cancelled = book(cara_agrees, now + timedelta(days=2))
        appointments.appointment_cancel(appointment=cancelled)
    run_beat(now, now + timedelta(days=3))
    assert reminders_of(cancelled) == []
    assert Appointment.objects.due_for_reminder(now + timedelta(days=1, hours=12)).count() == 0


def test_the_reminder_policy_must_be_sensible(settings, cara_agrees):
    for bad in ({"hours_before": 24}, {"hours_before": [0]}, {"hours_before": ["24"]}, [24], {"hours": [24]}):
        settings.CLIENTS_APPOINTMENT_REMINDERS = bad
        with pytest.raises(ImproperlyConfigured, match="CLIENTS_APPOINTMENT_REMINDERS"):
            book(cara_agrees, timezone.now() + timedelta(days=3))
    settings.CLIENTS_APPOINTMENT_REMINDERS = {"hours_before": []}  # reminders off
    assert book(cara_agrees, timezone.now() + timedelta(days=3)).next_reminder_at is None


def test_beat_runs_the_appointment_tick_every_minute(settings):
    from config.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["clients-appointments-tick"]
    assert entry["task"] == "clients.appointments_tick" in app.tasks and entry["schedule"] == 60.0
