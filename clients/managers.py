"""The read vocabulary for clients, shared by the admin, the API and tasks."""

from __future__ import annotations

from datetime import datetime

from practice.managers import PracticeScopedQuerySet


class ClientQuerySet(PracticeScopedQuerySet):
    practice_path = "practice"
    therapist_path = "therapist"


class ConsentRecordQuerySet(PracticeScopedQuerySet):
    practice_path = "client__practice"
    therapist_path = "client__therapist"


class AppointmentQuerySet(PracticeScopedQuerySet):
    """Appointments are scoped like their client: the client's therapist sees them, the owner the practice."""

    practice_path = "client__practice"
    therapist_path = "client__therapist"

    def booked(self) -> AppointmentQuerySet:
        from clients.models import AppointmentStatus  # clients.models imports this module

        return self.filter(status=AppointmentStatus.BOOKED)

    def overlapping(self, starts_at: datetime, ends_at: datetime) -> AppointmentQuerySet:
        """Appointments that share any moment with [starts_at, ends_at); touching ends do not overlap."""
        return self.filter(starts_at__lt=ends_at, ends_at__gt=starts_at)

    def between(self, starts: datetime, ends: datetime) -> AppointmentQuerySet:
        """Appointments that start in [starts, ends)."""
        return self.filter(starts_at__gte=starts, starts_at__lt=ends)

    def due_for_reminder(self, now: datetime) -> AppointmentQuerySet:
        """Booked, not yet started, with a reminder slot that has come: the beat's candidates."""
        return self.booked().filter(next_reminder_at__lte=now, starts_at__gt=now)


class QuestionnairePlanQuerySet(PracticeScopedQuerySet):
    practice_path = "client__practice"
    therapist_path = "client__therapist"

    def active(self) -> QuestionnairePlanQuerySet:
        return self.filter(active=True)


class PlannedAssignmentQuerySet(PracticeScopedQuerySet):
    practice_path = "plan__client__practice"
    therapist_path = "plan__client__therapist"
