"""The appointment beat finds what is due through indexed columns: a quiet beat is the same two queries with
1,000 appointments as with 5,000, and the plans' moments come from one query that agrees with each plan's own."""

from __future__ import annotations

import datetime
import itertools
from datetime import UTC, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clients import appointments
from clients.models import PLAN_HOURS_MAX, Appointment, AppointmentStatus, PlanTiming, QuestionnairePlan

NOW = datetime.datetime(2027, 5, 3, 9, 0, tzinfo=UTC)


def stored_diary(make_client, tess, version, clients: int, per_client: int) -> None:
    """``clients`` clients with a plan each and ``per_client`` appointments a month or more ahead (nothing due)."""
    rows = []
    first = Appointment.objects.count() // per_client  # each client's sessions in an hour of their own
    for n in range(first, first + clients):
        person = make_client(tess)
        QuestionnairePlan.objects.create(client=person, instrument=version.instrument, hours=24)
        for k in range(per_client):
            start = NOW + timedelta(days=30 + 3 * k, hours=n)
            rows.append(
                Appointment(
                    client=person,
                    therapist=tess,
                    starts_at=start,
                    ends_at=start + timedelta(minutes=50),
                    next_reminder_at=start - timedelta(hours=24),
                )
            )
    Appointment.objects.bulk_create(rows)


def quiet_tick_queries() -> int:
    with CaptureQueriesContext(connection) as queries:
        report = appointments.appointments_tick(now=NOW)
    assert (report.reminded, report.assigned, report.skipped) == (0, 0, 0)
    return len(queries.captured_queries)


def test_a_quiet_beat_costs_the_same_two_queries_at_1000_and_5000_appointments(make_client, tess, make_version):
    version = make_version()
    stored_diary(make_client, tess, version, clients=10, per_client=100)
    assert Appointment.objects.count() == 1000
    small = quiet_tick_queries()
    stored_diary(make_client, tess, version, clients=40, per_client=100)
    assert Appointment.objects.count() == 5000
    assert small == quiet_tick_queries() == 2  # due reminders; due questionnaire moments of every plan


@pytest.mark.parametrize("timing", list(PlanTiming))
def test_the_plans_moments_in_one_query_are_each_plans_own(cara, tess, make_version, timing):
    """Against ``plan_candidates`` (one plan at a time), at every hour of five days around some sessions."""
    version = make_version()
    start = NOW.replace(hour=0)
    with_plan = QuestionnairePlan.objects.create(
        client=cara, instrument=version.instrument, hours=5, timing=timing, created_by=tess
    )
    QuestionnairePlan.objects.filter(pk=with_plan.pk).update(created_at=start - timedelta(days=1))
    late = QuestionnairePlan.objects.create(client=cara, instrument=version.instrument, hours=1, timing=timing)
    QuestionnairePlan.objects.filter(pk=late.pk).update(created_at=start + timedelta(days=2))
    sessions = [start + timedelta(days=day, hours=hour) for day, hour in itertools.product(range(5), (9, 15))]
    for moment in sessions:
        Appointment.objects.bulk_create(
            [
                Appointment(
                    client=cara,
                    therapist=tess,
                    starts_at=moment,
                    ends_at=moment + timedelta(minutes=50),
                    status=AppointmentStatus.COMPLETED if moment.hour == 15 else AppointmentStatus.BOOKED,
                )
            ]
        )
    plans = list(QuestionnairePlan.objects.active())
    for hour in range(5 * 24 + 12):
        now = start + timedelta(hours=hour)
        expected = {
            (plan.pk, appointment_id)
            for plan in plans
            for appointment_id in appointments.plan_candidates(plan, now).values_list("pk", flat=True)
        }
        assert set(appointments.due_plan_moments(now)) == expected, now


@pytest.mark.parametrize("timing", list(PlanTiming))
def test_the_widest_plans_moments_fall_inside_the_window_the_query_reads(cara, tess, make_version, timing):
    """A plan of ``PLAN_HOURS_MAX`` hours: the constant window that lets the index serve the query must not
    cut off its moments, at the edges of the window (a day either side of the moment, hour by hour)."""
    version = make_version()
    plan = QuestionnairePlan.objects.create(
        client=cara, instrument=version.instrument, hours=PLAN_HOURS_MAX, timing=timing, created_by=tess
    )
    QuestionnairePlan.objects.filter(pk=plan.pk).update(created_at=NOW - timedelta(days=60))
    session = NOW + timedelta(days=30)
    Appointment.objects.create(client=cara, therapist=tess, starts_at=session, ends_at=session + timedelta(minutes=50))
    widest = timedelta(hours=PLAN_HOURS_MAX)
    moment = session + widest if timing == PlanTiming.AFTER_EACH else session - widest
    found = set()
    for hour in range(-24, 24 * 4):
        now = moment + timedelta(hours=hour, minutes=1)
        plan = QuestionnairePlan.objects.get(pk=plan.pk)
        expected = set(appointments.plan_candidates(plan, now).values_list("pk", flat=True))
        assert {a for _, a in appointments.due_plan_moments(now)} == expected, now
        found |= expected
    assert found  # the moment came within the hours walked


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
def test_the_plans_query_reads_appointments_near_now_through_an_index(make_client, tess, make_version):
    """Every appointment a month ahead under an active plan: the quiet query must not read them all."""
    version = make_version()
    stored_diary(make_client, tess, version, clients=20, per_client=250)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE clients_appointment")  # the statistics autovacuum would gather; no ORM for it
    plan = appointments.due_plan_pairs(NOW).explain()
    assert "Seq Scan on clients_appointment" not in plan, plan
    assert "appointment_starts_idx" in plan and "appointment_ends_idx" in plan, plan


def test_a_plan_wider_than_the_window_the_beat_reads_cannot_be_stored(cara, make_version):
    """Forms and the API stop it; the database does too (loaddata, the shell), so no plan is silently never due."""
    from django.db import IntegrityError, transaction

    version = make_version()
    with pytest.raises(IntegrityError), transaction.atomic():
        QuestionnairePlan.objects.create(client=cara, instrument=version.instrument, hours=PLAN_HOURS_MAX + 1)
    QuestionnairePlan.objects.create(client=cara, instrument=version.instrument, hours=PLAN_HOURS_MAX)
