"""The read vocabulary of assignments and responses, shared by the admin, the API, the results and the beat.

Each filter is written here once. ``models`` imports this module, so the statuses are imported where
they are used.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import models
from django.db.models import Q


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


class InstrumentQuerySet(models.QuerySet):
    """Instruments are in the library (no owner: every user may see and assign them, superusers change them)
    or owned by one host owner (a practice in Tandem), seen and changed only by that owner's people.

    Who acts for which owner is the host's ``instrument_owners_for_user`` hook; what they may do there is
    still their model permissions (in Tandem owners author, therapists view and assign). Fails closed:
    nobody signed in sees nothing, a bare project's staff see only the library.
    """

    #: The lookup from these rows to the instrument ("" for instruments themselves).
    instrument_path = ""

    def _owner_field(self) -> str:
        return f"{self.instrument_path}__owner" if self.instrument_path else "owner"

    def library(self) -> models.QuerySet:
        return self.filter(**{f"{self._owner_field()}__isnull": True})

    def for_user(self, user: Any) -> models.QuerySet:
        """What ``user`` may see and assign: the library and their owners' own."""
        from assessments.hooks import get_hooks

        if not _signed_in(user):
            return self.none()
        if user.is_superuser:
            return self.all()
        owner = self._owner_field()
        owners = get_hooks().instrument_owners_for_user(user)
        return self.filter(Q(**{f"{owner}__isnull": True}) | Q(**{f"{owner}__in": owners}))

    def writable_by(self, user: Any) -> models.QuerySet:
        """What ``user`` may change, publish, retire or delete: only their owners' own; a superuser everything."""
        from assessments.hooks import get_hooks

        if not _signed_in(user):
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(**{f"{self._owner_field()}__in": get_hooks().instrument_owners_for_user(user)})


class InstrumentContentQuerySet(InstrumentQuerySet):
    """Versions, items, scales…: scoped through their instrument, the same rule and no other."""

    instrument_path = "version__instrument"


class RespondentScopedQuerySet(models.QuerySet):
    """Rows about a respondent; a user reaches them only through the respondents the host's hooks allow."""

    def for_respondents(self, respondents: Any) -> models.QuerySet:
        """Rows about these respondents (a queryset of them or of their ids)."""
        return self.filter(respondent__in=respondents)

    def for_user(self, user: Any) -> models.QuerySet:
        """Rows about the respondents ``user`` may see (the host's ``respondents_for_user``): fails closed."""
        from assessments.hooks import get_hooks

        return self.for_respondents(get_hooks().respondents_for_user(user).values("pk"))


class AssignmentQuerySet(RespondentScopedQuerySet):
    def open(self) -> AssignmentQuerySet:
        """Assignments whose link may still be used, as far as their status goes."""
        from assessments.models import OPEN_STATUSES

        return self.filter(status__in=OPEN_STATUSES)

    def awaiting_answers(self, now: datetime) -> AssignmentQuerySet:
        """Invited, not finished and not yet expired at ``now``."""
        from assessments.models import AWAITING_ANSWERS

        return self.filter(status__in=AWAITING_ANSWERS, expires_at__gt=now)

    def expiring_within(self, now: datetime, within: timedelta) -> AssignmentQuerySet:
        """Awaiting answers, with a link that expires in the next ``within``."""
        return self.awaiting_answers(now).filter(expires_at__lte=now + within)

    def expired_since(self, since: datetime) -> AssignmentQuerySet:
        """Expired unanswered, with an expiry at or after ``since``."""
        from assessments.models import AssignmentStatus

        return self.filter(status=AssignmentStatus.EXPIRED, expires_at__gte=since)

    def due_for_invitation(self, now: datetime) -> AssignmentQuerySet:
        """Scheduled assignments whose invitation should have gone out by ``now``."""
        from assessments.models import AssignmentStatus

        return self.filter(status=AssignmentStatus.SCHEDULED, send_at__lte=now)

    def due_for_reminder(self, now: datetime, policy: dict) -> AssignmentQuerySet:
        """Assignments that may have a reminder due under ``policy``: a coarse filter that
        ``assignments.reminder_times`` refines per row."""
        earliest = Q()
        if policy["after_sent_days"]:
            earliest |= Q(sent_at__lte=now - timedelta(days=min(policy["after_sent_days"])))
        if policy["before_expiry_days"]:
            earliest |= Q(expires_at__lte=now + timedelta(days=max(policy["before_expiry_days"])))
        if not earliest or policy["max"] < 1:
            return self.none()
        return self.awaiting_answers(now).filter(earliest, reminders_sent__lt=policy["max"])

    def reminders_due(self, now: datetime) -> AssignmentQuerySet:
        """Awaiting answers with a reminder due by ``now``, by the indexed ``next_reminder_at`` that the
        services keep: what the beat reads, costing what is due rather than everything open."""
        return self.awaiting_answers(now).filter(next_reminder_at__lte=now)

    def due_for_expiry(self, now: datetime) -> AssignmentQuerySet:
        """Open assignments past their expiry at ``now``, which the beat marks expired."""
        return self.open().filter(expires_at__lte=now)


class AssignmentScheduleQuerySet(RespondentScopedQuerySet):
    def due(self, now: datetime) -> AssignmentScheduleQuerySet:
        """Repeating questionnaires whose next occurrence should have been assigned by ``now``."""
        return self.filter(active=True, next_at__lte=now)


class ResponseQuerySet(RespondentScopedQuerySet):
    def completed(self) -> ResponseQuerySet:
        return self.filter(completed_at__isnull=False)

    def unreviewed(self) -> ResponseQuerySet:
        return self.filter(reviewed_at__isnull=True)

    def needing_review(self) -> ResponseQuerySet:
        """Completed responses no one has reviewed yet: the top of the review queue."""
        return self.completed().unreviewed()
