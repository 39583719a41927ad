"""The services' own guards: one submission per assignment, one email per reminder slot.

The link pages check an assignment's state before calling these services, so these tests call the
services directly: a guard that only the pages exercise could vanish unnoticed.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from assessments import assignments
from assessments.hooks import get_hooks
from assessments.models import Assignment, AssignmentStatus, Response

pytestmark = pytest.mark.django_db

ANSWERS = {"low": "2", "calm": "1", "harm": "0"}


def test_a_second_submit_raises_and_leaves_exactly_one_response(open_assignment):
    assignment, _raw = open_assignment()
    assignments.assignment_save_answers(assignment=assignment, answers=ANSWERS)
    first = assignments.assignment_submit(assignment=assignment)

    # A draft that reappears (a racing save, a stale page) must not become a second response either.
    Assignment.objects.filter(pk=assignment.pk).update(draft_answers=ANSWERS)
    with pytest.raises(assignments.AssignmentClosed):
        assignments.assignment_submit(assignment=Assignment.objects.get(pk=assignment.pk))

    assert list(Response.objects.values_list("pk", flat=True)) == [first.pk]
    stored = Assignment.objects.get(pk=assignment.pk)
    assert stored.status == AssignmentStatus.COMPLETED and stored.response_id == first.pk


@pytest.mark.parametrize("marked_expired", [False, True], ids=["past-expiry", "marked-expired"])
def test_an_expired_assignment_submit_raises_and_stores_nothing(open_assignment, marked_expired):
    assignment, _raw = open_assignment()
    assignments.assignment_save_answers(assignment=assignment, answers=ANSWERS)
    later = assignment.expires_at + timedelta(seconds=1)
    if marked_expired:
        assert assignments.assignments_expire(now=later) == 1
    assignment = Assignment.objects.get(pk=assignment.pk)

    with pytest.raises(assignments.AssignmentClosed):
        assignments.assignment_submit(assignment=assignment, now=later)

    assert not Response.objects.exists()
    stored = Assignment.objects.get(pk=assignment.pk)
    assert stored.status != AssignmentStatus.COMPLETED
    assert stored.response_id is None and stored.completed_at is None


def test_a_second_reminder_call_at_the_same_moment_sends_nothing_and_the_slot_is_recorded(open_assignment, monkeypatch):
    hooks = type(get_hooks())
    sent: list[tuple[int, int]] = []
    original = hooks.send_reminder

    def recording(self, assignment, number):
        sent.append((assignment.pk, number))
        return original(self, assignment, number)

    monkeypatch.setattr(hooks, "send_reminder", recording)
    assignment, _raw = open_assignment()
    assert assignment.reminders_sent == 0
    due = assignment.sent_at + timedelta(days=3, minutes=1)

    assert assignments.reminder_send(assignment_id=assignment.pk, now=due) == 1
    assert Assignment.objects.get(pk=assignment.pk).reminders_sent == 1
    assert assignments.reminder_send(assignment_id=assignment.pk, now=due) is None
    assert Assignment.objects.get(pk=assignment.pk).reminders_sent == 1
    assert sent == [(assignment.pk, 1)]
