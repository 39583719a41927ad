"""Private links to a released joint summary: 256 bits from ``secrets``, only the SHA-256 stored, expiring.

A link shows the summary only while it is still shareable: released by the therapist, and both partners
still agreeing. Looking a token up tells nothing about whose it is.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.utils import timezone

from assessments.links import MAX_TOKEN_LENGTH, TOKEN_BYTES, token_hash
from clients.couples.models import CoupleAssignment, JointSummaryLink

LINK_DAYS = 30


def shareable(couple_assignment: CoupleAssignment) -> bool:
    return couple_assignment.summary_released_at is not None and couple_assignment.couple.both_agreed_to_share


def summary_link_issue(couple_assignment: CoupleAssignment) -> str:
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    JointSummaryLink.objects.create(
        couple_assignment=couple_assignment,
        token_hash=token_hash(raw),
        expires_at=timezone.now() + timedelta(days=LINK_DAYS),
    )
    return raw


def summary_link_resolve(raw: object) -> CoupleAssignment | None:
    """The couple questionnaire whose summary a token opens, or None (unknown, expired, or no longer shared)."""
    if not isinstance(raw, str) or not raw or len(raw) > MAX_TOKEN_LENGTH:
        return None
    link = (
        JointSummaryLink.objects.select_related("couple_assignment__couple__practice", "couple_assignment__version")
        .filter(token_hash=token_hash(raw), expires_at__gt=timezone.now())
        .first()
    )
    if link is None or not shareable(link.couple_assignment):
        return None
    return link.couple_assignment
