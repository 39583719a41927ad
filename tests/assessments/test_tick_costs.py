"""Ticks cost what is due: the beat finds reminders and expiries through indexed columns."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from assessments import assignments
from assessments.models import Assignment


def test_the_next_reminder_is_kept_by_every_service_that_changes_it(open_assignment):
    assignment, _token = open_assignment()
    sent, expires = assignment.sent_at, assignment.expires_at
    assert assignment.next_reminder_at == sent + timedelta(days=3)  # default policy: 3 days after, 1 before

    assert assignments.reminder_send(assignment_id=assignment.pk, now=sent + timedelta(days=3, minutes=1)) == 1
    assignment.refresh_from_db()
    assert assignment.next_reminder_at == expires - timedelta(days=1)

    assignments.assignment_extend(assignment=assignment, days=7, now=sent + timedelta(days=4))
    assignment.refresh_from_db()
    assert assignment.next_reminder_at == assignment.expires_at - timedelta(days=1)

    assignments.assignment_cancel(assignment=assignment)
    assignment.refresh_from_db()
    assert assignment.next_reminder_at is None


def test_an_expired_assignment_has_no_next_reminder(open_assignment):
    expired, _token = open_assignment()
    assert expired.next_reminder_at is not None
    assignments.assignments_expire(now=expired.expires_at + timedelta(seconds=1))
    expired.refresh_from_db()
    assert expired.next_reminder_at is None


def test_a_quiet_tick_is_four_queries_however_many_assignments_are_open(open_assignment, django_assert_num_queries):
    for _ in range(3):
        open_assignment()
    with django_assert_num_queries(4):  # expiry, schedules, invitations, reminders: nothing due
        report = assignments.assignments_tick(now=timezone.now() + timedelta(hours=1))
    assert (report.expired, report.scheduled, report.invited, report.reminded) == (0, 0, 0, 0)
    for _ in range(12):
        open_assignment()
    with django_assert_num_queries(4):
        assignments.assignments_tick(now=timezone.now() + timedelta(hours=1))


def test_the_tick_sends_each_due_reminder_once_and_only_those(open_assignment):
    due, _token = open_assignment()
    not_yet, _token = open_assignment()
    Assignment.objects.filter(pk=not_yet.pk).update(next_reminder_at=timezone.now() + timedelta(days=5))
    at = due.sent_at + timedelta(days=3, minutes=1)
    report = assignments.assignments_tick(now=at)
    assert report.reminded == 1
    due.refresh_from_db()
    assert due.reminders_sent == 1 and due.next_reminder_at == due.expires_at - timedelta(days=1)
    assert assignments.assignments_tick(now=at).reminded == 0


def test_a_stale_next_reminder_time_is_put_right_not_read_every_tick(open_assignment, settings):
    assignment, _token = open_assignment()
    settings.ASSESSMENTS_REMINDERS = {"after_sent_days": [5], "before_expiry_days": [], "max": 1}
    at = assignment.sent_at + timedelta(days=3, minutes=1)  # due under the old policy only
    assert assignments.assignments_tick(now=at).reminded == 0
    assignment.refresh_from_db()
    assert assignment.next_reminder_at == assignment.sent_at + timedelta(days=5)


def test_rescheduling_after_a_policy_change_sets_every_open_assignment(open_assignment, settings):
    first, _token = open_assignment()
    _second, _token = open_assignment()
    settings.ASSESSMENTS_REMINDERS = {"after_sent_days": [2], "before_expiry_days": [], "max": 1}
    assert assignments.reminders_reschedule() == 2
    first.refresh_from_db()
    assert first.next_reminder_at == first.sent_at + timedelta(days=2)


def test_the_command_reschedules_after_the_policy_moved_earlier(open_assignment, settings):
    """Stored times are what the beat reads: a policy that reminds sooner needs them recomputed."""
    from io import StringIO

    from django.core.management import call_command

    assignment, _token = open_assignment()
    settings.ASSESSMENTS_REMINDERS = {"after_sent_days": [1], "before_expiry_days": [], "max": 1}
    at = assignment.sent_at + timedelta(days=1, minutes=1)
    assert assignments.assignments_tick(now=at).reminded == 0  # still waiting for the old day-3 time
    out = StringIO()
    call_command("reschedule_reminders", stdout=out)
    assert out.getvalue().strip() == "1 assignment(s) rescheduled."
    assert assignments.assignments_tick(now=at).reminded == 1
