"""Celery tasks of the questionnaire engine: thin, taking ids only, each calling one use case."""

from __future__ import annotations

from celery import shared_task

from assessments import assignments


@shared_task(name="assessments.send_invitation")
def send_invitation(assignment_id: int) -> bool:
    """Send a just-assigned invitation now rather than on the next beat."""
    return assignments.assignment_dispatch(assignment_id=assignment_id)


@shared_task(name="assessments.tick")
def tick() -> dict[str, int]:
    """The beat: repeating questionnaires, due invitations, reminders and expiry."""
    report = assignments.assignments_tick()
    return {
        "scheduled": report.scheduled,
        "invited": report.invited,
        "reminded": report.reminded,
        "expired": report.expired,
    }
