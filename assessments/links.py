"""Private links to a questionnaire: capabilities that are issued, hashed and checked here.

A token is 256 bits from ``secrets``; only its SHA-256 is stored, so a database leak exposes no
working link. Looking a token up reveals only *why* it does not work, never whose it is. A used
link still returns its assignment, so the thank-you page can show released scores for a while.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from enum import StrEnum

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from assessments.models import OPEN_STATUSES, Assignment, AssignmentLink, AssignmentStatus

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
def link_issue(*, assignment: Assignment, now: datetime | None = None) -> str:
    """Issue one more working link to ``assignment`` and return its token; earlier links keep working."""
    now = now or timezone.now()
    locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if locked.status not in OPEN_STATUSES or locked.expires_at <= now:
        raise LinkClosed(f"Assignment {locked.pk} is {locked.get_status_display().lower()}; it takes no new link.")
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    AssignmentLink.objects.create(assignment=locked, token_hash=token_hash(raw), issued_at=now)
    locked.link_issued_at = now
    locked.save(update_fields=["link_issued_at"])
    assignment.link_issued_at = now
    return raw


def links_revoke(*, assignment: Assignment) -> int:
    """Every link to ``assignment`` stops working (resend, cancel)."""
    deleted, _ = AssignmentLink.objects.filter(assignment_id=assignment.pk).delete()
    return deleted


#: The columns the link pages read (views, their templates, the link API and the host's page context). Loading
#: only these halves what compiling the lookup costs, the largest part of the form page's work
#: (``bench/form.py``); a page that reads another column costs one query more, which
#: ``tests/assessments/test_link_lookup.py`` catches.
LINK_PAGE_FIELDS = (
    "id",
    "version_id",
    "respondent_id",
    "status",
    "expires_at",
    "opened_at",
    "completed_at",
    "draft_answers",
    "last_page",
    "question_order_seed",
    "message",
    "release_scores",
    "response_id",
)


def _fetch(token: str) -> Assignment | None:
    """The assignment behind a token's hash (one indexed query), with when its version was published."""
    assignments = Assignment.objects.only(*LINK_PAGE_FIELDS).annotate(version_published_at=F("version__published_at"))
    try:
        return assignments.get(links__token_hash=token_hash(token))
    except Assignment.DoesNotExist:
        return None


def link_resolve(raw: object, *, now: datetime | None = None) -> tuple[Assignment | None, LinkProblem | None]:
    """The assignment a token opens, or why it opens nothing (unknown, expired, cancelled, used).

    The hot path of every link page: one query for the assignment, its published version from the
    per-process cache (``services.published_version``), the respondent only if someone asks.
    """
    from assessments.services import published_version

    if not isinstance(raw, str) or not raw or len(raw) > MAX_TOKEN_LENGTH:
        return None, LinkProblem.UNKNOWN
    assignment = _fetch(raw)
    if assignment is None:
        return None, LinkProblem.UNKNOWN
    assignment.version = published_version(assignment.version_id, assignment.version_published_at)
    if assignment.status == AssignmentStatus.CANCELLED:
        return None, LinkProblem.CANCELLED
    if assignment.status == AssignmentStatus.COMPLETED:
        return assignment, LinkProblem.USED
    if assignment.status == AssignmentStatus.EXPIRED or assignment.expires_at <= (now or timezone.now()):
        return None, LinkProblem.EXPIRED
    return assignment, None
