"""Celery tasks of the clients app: thin, taking ids only, each calling one use case."""

from __future__ import annotations

from celery import shared_task

from clients import appointments


@shared_task(name="clients.appointments_tick")
def appointments_tick() -> dict[str, int]:
    """The beat: due appointment reminders, and questionnaires tied to sessions."""
    report = appointments.appointments_tick()
    return {"reminded": report.reminded, "assigned": report.assigned, "skipped": report.skipped}


@shared_task(name="clients.retention_review")
def retention_review() -> dict[str, int]:
    """Daily: tell owners (once a week) about records past their retention time; erases nothing."""
    from clients import privacy

    return {str(practice_id): count for practice_id, count in privacy.retention_review().items()}
