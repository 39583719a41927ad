"""Private links to a questionnaire: capabilities that are issued, hashed and checked here.

A token is 256 bits from ``secrets``; only its SHA-256 is stored, so a database leak exposes no
working link. Looking a token up reveals only *why* it does not work, never whose it is.
"""

from __future__ import annotations

import hashlib
import secrets
from enum import StrEnum

from django.db import transaction
from django.utils import timezone

from assessments.models import OPEN_STATUSES, Assignment, AssignmentStatus

TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 100


class LinkProblem(StrEnum):
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    USED = "used"


class LinkClosed(ValueError):
    """A link cannot be issued for an assignment that is finished, cancelled or expired."""


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@transaction.atomic
def link_issue(*, assignment: Assignment) -> str:
    """Issue a fresh token for ``assignment`` and return it; any earlier link stops working."""
    locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if locked.status not in OPEN_STATUSES or locked.expires_at <= timezone.now():
        raise LinkClosed(f"Assignment {locked.pk} is {locked.get_status_display().lower()}; it takes no new link.")
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    locked.token_hash = token_hash(raw)
    locked.link_issued_at = timezone.now()
    locked.save(update_fields=["token_hash", "link_issued_at"])
    assignment.token_hash, assignment.link_issued_at = locked.token_hash, locked.link_issued_at
    return raw


def link_resolve(raw: object) -> tuple[Assignment | None, LinkProblem | None]:
    """The assignment a token opens, or why it opens nothing (unknown, expired, cancelled, used)."""
    if not isinstance(raw, str) or not raw or len(raw) > MAX_TOKEN_LENGTH:
        return None, LinkProblem.UNKNOWN
    assignment = Assignment.objects.select_related("version").filter(token_hash=token_hash(raw)).first()
    if assignment is None:
        return None, LinkProblem.UNKNOWN
    if assignment.status == AssignmentStatus.CANCELLED:
        return None, LinkProblem.CANCELLED
    if assignment.status == AssignmentStatus.COMPLETED:
        return None, LinkProblem.USED
    if assignment.status == AssignmentStatus.EXPIRED or assignment.expires_at <= timezone.now():
        return None, LinkProblem.EXPIRED
    return assignment, None
