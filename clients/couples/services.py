"""Use cases for couples: link, unlink, assign a questionnaire to both partners, close, share the summary.

A couple assignment is made of two ordinary assignments (``assessments.assignments.assignment_create``),
so each partner gets their own private link, invitation, reminders and stop link, and answers alone.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import agreement
from assessments.assignments import AssignmentError, assignment_cancel, assignment_create
from assessments.hooks import get_hooks
from assessments.models import OPEN_STATUSES, Assignment, AssignmentStatus, InstrumentStatus, InstrumentVersion
from assessments.services import published_form
from clients.couples.models import Couple, CoupleAssignment, CoupleAssignmentStatus
from clients.models import Client


class CoupleError(ValueError):
    """A couple or couple questionnaire that cannot be made or changed; the message says why, for people."""


@transaction.atomic
def couple_link(*, partner_a: Client, partner_b: Client, by: Any = None) -> Couple:
    """Link two clients of one practice as a couple; each keeps their own record."""
    couple = Couple(practice_id=partner_a.practice_id, partner_a=partner_a, partner_b=partner_b, created_by=by)
    try:
        couple.full_clean(exclude=["practice", "created_by"])
    except ValidationError as exc:
        raise CoupleError(" ".join(exc.messages)) from exc
    couple.save()
    return couple


@transaction.atomic
def couple_unlink(*, couple: Couple, by: Any = None, now: datetime | None = None) -> Couple:
    """End the couple. Open couple questionnaires close; every answer stays with the partner who gave it."""
    locked = Couple.objects.select_for_update().get(pk=couple.pk)
    if locked.ended_at is None:
        locked.ended_at, locked.ended_by = now or timezone.now(), by
        locked.save(update_fields=["ended_at", "ended_by"])
        for pending in locked.assignments.filter(status=CoupleAssignmentStatus.OPEN):
            couple_assignment_close(couple_assignment=pending, now=locked.ended_at)
    couple.ended_at, couple.ended_by = locked.ended_at, locked.ended_by
    return locked


@transaction.atomic
def couple_share_agreement(*, couple: Couple, partner: Client, agreed: bool, now: datetime | None = None) -> Couple:
    """Record (or withdraw) one partner's agreement that a joint summary may be shared with both of them."""
    locked = Couple.objects.select_for_update().get(pk=couple.pk)
    field = {locked.partner_a_id: "share_agreed_a_at", locked.partner_b_id: "share_agreed_b_at"}.get(partner.pk)
    if field is None:
        raise CoupleError(_("Only a partner of this couple can agree to share."))
    setattr(locked, field, (now or timezone.now()) if agreed else None)
    locked.save(update_fields=[field])
    setattr(couple, field, getattr(locked, field))
    return locked


def couples_versions():
    """The published questionnaires that suit couples."""
    return InstrumentVersion.objects.filter(status=InstrumentStatus.PUBLISHED, couples=True)


@transaction.atomic
def couple_assignment_create(
    *,
    couple: Couple,
    version: InstrumentVersion,
    expires_in_days: int = 14,
    message: str = "",
    assigned_by: Any = None,
    different_order: bool = False,
) -> CoupleAssignment:
    """Ask both partners one questionnaire suited to couples: one assignment each, invitations after commit."""
    if not couple.is_active:
        raise CoupleError(_("This couple has been unlinked."))
    if version.status != InstrumentStatus.PUBLISHED or not version.couples:
        raise CoupleError(_("Choose a published questionnaire that is suited to couples."))
    hooks = get_hooks()
    unreachable = [str(partner) for partner in couple.partners if not hooks.may_contact(partner)]
    if unreachable:
        raise CoupleError(
            _("%(names)s may not be emailed about questionnaires; tick Questionnaire emails on their record first.")
            % {"names": " and ".join(unreachable)}
        )
    try:
        first, second = [
            assignment_create(
                version=version,
                respondent=partner,
                expires_in_days=expires_in_days,
                message=message,
                assigned_by=assigned_by,
                # The second partner's pages come in another order; the seed is not a secret.
                question_order_seed=secrets.randbelow(2**31) if different_order and index else None,
            )
            for index, partner in enumerate(couple.partners)
        ]
    except AssignmentError as exc:
        raise CoupleError(str(exc)) from exc
    return CoupleAssignment.objects.create(
        couple=couple,
        version=version,
        assignment_a=first,
        assignment_b=second,
        different_order=different_order,
        created_by=assigned_by,
    )


@transaction.atomic
def couple_assignment_close(*, couple_assignment: CoupleAssignment, now: datetime | None = None) -> CoupleAssignment:
    """The therapist closes a couple questionnaire, with one answer or none; what is unanswered is cancelled."""
    locked = CoupleAssignment.objects.select_for_update().get(pk=couple_assignment.pk)
    if locked.status != CoupleAssignmentStatus.OPEN:
        raise CoupleError(_("Only a couple questionnaire waiting for answers can be closed."))
    now = now or timezone.now()
    for assignment in Assignment.objects.filter(pk__in=[locked.assignment_a_id, locked.assignment_b_id]):
        if assignment.status in OPEN_STATUSES:
            assignment_cancel(assignment=assignment, now=now)
    locked.status, locked.closed_at = CoupleAssignmentStatus.CLOSED, now
    locked.save(update_fields=["status", "closed_at"])
    couple_assignment.status, couple_assignment.closed_at = locked.status, now
    return locked


def couple_assignment_answered(assignment: Assignment) -> CoupleAssignment | None:
    """A partner submitted (called inside the submitting transaction): complete the couple's once both have."""
    found = (
        CoupleAssignment.objects.select_for_update()
        .filter(status=CoupleAssignmentStatus.OPEN)
        .filter(pk__in=_couple_assignment_ids(assignment))
        .first()
    )
    if found is None:
        return None
    statuses = set(
        Assignment.objects.filter(pk__in=[found.assignment_a_id, found.assignment_b_id]).values_list(
            "status", flat=True
        )
    )
    if statuses == {AssignmentStatus.COMPLETED}:
        found.status, found.completed_at = CoupleAssignmentStatus.COMPLETED, timezone.now()
        found.agreement = couple_agreement(found).summary()
        found.save(update_fields=["status", "completed_at", "agreement"])
    return found


def couple_agreement(couple_assignment: CoupleAssignment) -> agreement.Agreement:
    """The two partners' answers compared (a partner with no response counts as having answered nothing)."""
    form = published_form(couple_assignment.version)
    answers = {
        row.pk: (row.response.answers if row.response_id else {})
        for row in Assignment.objects.filter(
            pk__in=[couple_assignment.assignment_a_id, couple_assignment.assignment_b_id]
        ).select_related("response")
    }
    return agreement.compare(
        form.document,
        answers.get(couple_assignment.assignment_a_id, {}),
        answers.get(couple_assignment.assignment_b_id, {}),
    )


def _couple_assignment_ids(assignment: Assignment):
    from django.db.models import Q

    return CoupleAssignment.objects.filter(Q(assignment_a=assignment.pk) | Q(assignment_b=assignment.pk)).values("pk")


@transaction.atomic
def couple_summary_release(*, couple_assignment: CoupleAssignment, now: datetime | None = None) -> CoupleAssignment:
    """Share the joint summary with both partners, once both have answered and both agreed to share."""
    locked = CoupleAssignment.objects.select_for_update().select_related("couple").get(pk=couple_assignment.pk)
    if locked.status != CoupleAssignmentStatus.COMPLETED:
        raise CoupleError(_("The joint summary can be shared once both partners have answered."))
    if not locked.couple.both_agreed_to_share:
        raise CoupleError(_("Both partners must agree before a joint summary is shared with them."))
    if locked.summary_released_at is None:
        locked.summary_released_at = now or timezone.now()
        locked.save(update_fields=["summary_released_at"])
        from clients.couples.emails import joint_summary_shared

        joint_summary_shared(locked)
    couple_assignment.summary_released_at = locked.summary_released_at
    return locked
