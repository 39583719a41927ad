"""Questionnaires tied to sessions: a plan per client makes one assignment per appointment, by beat."""

from __future__ import annotations

import datetime
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from assessments import assignments
from assessments.models import Assignment, AssignmentStatus
from clients import appointments
from clients.models import (
    Appointment,
    AppointmentStatus,
    ClientStatus,
    PlannedAssignment,
    PlanTiming,
    QuestionnairePlan,
)
from practice.mail.models import EmailKind, OutboundEmail

STEP = timedelta(hours=1)
START = datetime.datetime(2026, 3, 23, 0, 0, tzinfo=datetime.UTC)


@pytest.fixture
def version(make_version):
    return make_version()


def book(person, starts_at, **fields) -> Appointment:
    return appointments.appointment_book(client=person, therapist=person.therapist, starts_at=starts_at, **fields)


def make_plan(person, version, **fields) -> QuestionnairePlan:
    return QuestionnairePlan.objects.create(client=person, instrument=version.instrument, **fields)


def run_beat(start: datetime.datetime, end: datetime.datetime, events: dict | None = None) -> None:
    """Every hour: the day's events, then both beats (appointments and questionnaires) twice each."""
    events = dict(events or {})
    moment = start
    while moment <= end:
        with time_machine.travel(moment, tick=False):
            if moment in events:
                events.pop(moment)()
            for _twice in range(2):
                appointments.appointments_tick()
                assignments.assignments_tick()
        moment += STEP
    assert not events


def assignment_for(plan: QuestionnairePlan, appointment: Appointment) -> Assignment | None:
    decision = PlannedAssignment.objects.filter(plan=plan, appointment=appointment).first()
    return decision.assignment if decision else None


def test_before_every_appointment_makes_one_assignment_per_appointment_and_none_for_cancelled_ones(
    cara, tess, consenting, version
):
    consenting(cara)
    with time_machine.travel(START, tick=False):
        plan = make_plan(cara, version, hours=24, expires_in_days=3, created_by=tess)
        monday = book(cara, START + timedelta(days=1, hours=10))
        wednesday = book(cara, START + timedelta(days=3, hours=10))
        friday = book(cara, START + timedelta(days=5, hours=10))  # cancelled before its moment
        moved = book(cara, START + timedelta(days=8, hours=10))  # moved a day later before its moment
        after_the_fact = book(cara, START + timedelta(days=10, hours=10))  # cancelled after it was sent
    run_beat(
        START,
        START + timedelta(days=14),
        events={
            START + timedelta(days=2): lambda: appointments.appointment_cancel(appointment=friday),
            START + timedelta(days=6): lambda: appointments.appointment_move(
                appointment=moved, starts_at=START + timedelta(days=9, hours=10)
            ),
            START + timedelta(days=10, hours=2): lambda: appointments.appointment_cancel(appointment=after_the_fact),
        },
    )
    made = {appointment: assignment_for(plan, appointment) for appointment in (monday, wednesday, moved)}
    for appointment, assignment in made.items():
        appointment.refresh_from_db()
        moment = appointment.starts_at - timedelta(hours=24)
        assert assignment is not None and assignment.respondent == cara and assignment.assigned_by == tess
        assert moment <= assignment.send_at < moment + STEP
        assert assignment.sent_at is not None and assignment.expires_at == assignment.send_at + timedelta(days=3)
    assert assignment_for(plan, friday) is None
    assert not PlannedAssignment.objects.filter(appointment=friday).exists()
    # One per appointment that was still booked at its moment, however often the beat fired.
    assert Assignment.objects.count() == 4 == PlannedAssignment.objects.count()
    assert OutboundEmail.objects.filter(kind=EmailKind.INVITATION).count() == 4
    kept = assignment_for(plan, after_the_fact)  # already with the client when cancelled: left to the therapist
    assert kept.sent_at is not None and kept.status != AssignmentStatus.CANCELLED


def test_before_every_other_appointment_alternates_and_a_cancelled_one_does_not_count(cara, consenting, version):
    consenting(cara)
    with time_machine.travel(START, tick=False):
        plan = make_plan(cara, version, hours=2, timing=PlanTiming.BEFORE_EVERY_OTHER)
        sessions = [book(cara, START + timedelta(days=day, hours=10)) for day in (1, 2, 3, 4, 5)]
        appointments.appointment_cancel(appointment=sessions[1])
    run_beat(START, START + timedelta(days=6))
    sent = [assignment_for(plan, session) is not None for session in sessions]
    assert sent == [True, False, False, True, False]
    skipped = PlannedAssignment.objects.filter(plan=plan, skipped=True)
    assert [decision.appointment for decision in skipped.order_by("appointment__starts_at")] == [
        sessions[2],
        sessions[4],
    ]
    assert all("Every other" in decision.reason for decision in skipped)


def test_after_every_appointment_follows_the_end_and_skips_cancelled_and_missed_sessions(cara, consenting, version):
    consenting(cara)
    with time_machine.travel(START, tick=False):
        plan = make_plan(cara, version, hours=3, timing=PlanTiming.AFTER_EACH)
        held = book(cara, START + timedelta(days=1, hours=10), duration_minutes=60)
        no_show = book(cara, START + timedelta(days=2, hours=10))
        cancelled = book(cara, START + timedelta(days=3, hours=10))
        appointments.appointment_cancel(appointment=cancelled)
    run_beat(
        START,
        START + timedelta(days=4),
        events={
            START + timedelta(days=2, hours=11): lambda: appointments.appointment_mark_no_show(appointment=no_show)
        },
    )
    assignment = assignment_for(plan, held)
    assert assignment is not None
    assert START + timedelta(days=1, hours=14) <= assignment.send_at < START + timedelta(days=1, hours=15)
    assert assignment_for(plan, no_show) is None and assignment_for(plan, cancelled) is None


def test_a_new_plan_does_not_reach_back_and_discharge_ends_it(cara, consenting, version):
    consenting(cara)
    with time_machine.travel(START, tick=False):
        tomorrow = book(cara, START + timedelta(hours=20))  # its 24-hour moment has passed
        later = book(cara, START + timedelta(days=3))
    with time_machine.travel(START + timedelta(minutes=1), tick=False):
        plan = make_plan(cara, version, hours=24)
    run_beat(START, START + timedelta(days=1))
    assert assignment_for(plan, tomorrow) is None
    with time_machine.travel(START + timedelta(days=1, hours=2), tick=False):
        booked_late = book(cara, START + timedelta(days=1, hours=12))  # booked inside the window: goes at once
        appointments.appointments_tick()
    assert assignment_for(plan, booked_late) is not None
    cara.status = ClientStatus.DISCHARGED
    cara.save()
    run_beat(START + timedelta(days=1, hours=3), START + timedelta(days=3))
    plan.refresh_from_db()
    assert not plan.active and assignment_for(plan, later) is None


def test_a_client_without_questionnaire_consent_gets_a_scheduled_assignment_that_is_not_sent(cara, version):
    with time_machine.travel(START, tick=False):
        plan = make_plan(cara, version, hours=24)
        appointment = book(cara, START + timedelta(days=2))
    run_beat(START, START + timedelta(days=1, hours=1))
    assignment = assignment_for(plan, appointment)
    assert assignment.status == AssignmentStatus.SCHEDULED and "may not be emailed" in assignment.note
    assert not OutboundEmail.objects.filter(kind=EmailKind.INVITATION).exists()


def test_a_therapist_sets_up_a_plan_in_the_admin_and_sees_what_it_did(client, uma, fiona, consenting, version):
    consenting(fiona)
    client.force_login(uma)
    add = reverse("admin:clients_questionnaireplan_add")
    form = client.get(add).content.decode()
    assert "Mood check" in form
    data = {
        "client": fiona.pk,
        "instrument": version.instrument.pk,
        "hours": 48,
        "timing": PlanTiming.BEFORE_EACH,
        "expires_in_days": 7,
        "message": "",
        "active": "on",
        "decisions-TOTAL_FORMS": "0",
        "decisions-INITIAL_FORMS": "0",
    }
    refused = client.post(add, {**data, "hours": 0})
    assert "at least 1 hour" in refused.content.decode() and not QuestionnairePlan.objects.exists()
    response = client.post(add, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    plan = QuestionnairePlan.objects.get()
    assert plan.created_by == uma and plan.client == fiona and plan.hours == 48
    appointment = book(fiona, plan.created_at + timedelta(days=1))
    appointments.appointments_tick()
    page = client.get(reverse("admin:clients_questionnaireplan_change", args=[plan.pk])).content.decode()
    assert str(appointment) in page and assignment_for(plan, appointment) is not None
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.BOOKED
