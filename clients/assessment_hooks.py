"""How Tandem plugs into the questionnaire engine: clients are the respondents, the outbox sends.

Named in ``ASSESSMENTS_HOOKS``. A therapist sees the clients ``Client.objects.for_user`` gives
them; a client is emailed only with consent to questionnaires and while not discharged.
"""

from __future__ import annotations

import time
from typing import Any

from assessments.hooks import DefaultHooks
from assessments.links import LinkClosed, link_issue
from assessments.models import Assignment
from clients import emails
from clients.models import Client, ClientStatus
from practice.mail.hooks import LINK_PLACEHOLDER

#: Practice names and addresses for the client's pages, per client, for a minute (they rarely change).
BRANDING_SECONDS = 60
_BRANDING: dict[int, tuple[float, dict[str, str]]] = {}


def practice_branding(client_id: int) -> dict[str, str]:
    now = time.monotonic()
    cached = _BRANDING.get(client_id)
    if cached is not None and cached[0] > now:
        return cached[1]
    row = Client.objects.filter(pk=client_id).values("practice__name", "practice__contact_email").first() or {}
    branding = {"brand_name": row.get("practice__name", ""), "contact_email": row.get("practice__contact_email", "")}
    if len(_BRANDING) >= 1000:
        _BRANDING.clear()
    _BRANDING[client_id] = (now + BRANDING_SECONDS, branding)
    return branding


def forget_branding() -> None:
    _BRANDING.clear()


class TandemHooks(DefaultHooks):
    def respondents_for_user(self, user: Any):
        return Client.objects.for_user(user)

    def reliability_scope(self, user: Any) -> str:
        """The practice: an owner's adopted reliability applies to every score page in it.

        A user in no practice or in several keeps the engine's per-user default.
        """
        from practice.managers import practice_ids_for

        practices = list(practice_ids_for(user).values_list("practice_id", flat=True)[:2])
        if len(practices) == 1 and super().reliability_scope(user):
            return f"practice:{practices[0]}"
        return super().reliability_scope(user)

    def sees_technical_details(self, user: Any, respondent_id: Any) -> bool:
        """The owners of the client's practice (and superusers); never a therapist."""
        from practice.managers import is_owner

        if getattr(user, "is_superuser", False):
            return super().sees_technical_details(user, respondent_id)
        practice_id = Client.objects.filter(pk=respondent_id).values_list("practice_id", flat=True).first()
        return practice_id is not None and is_owner(user, practice_id=practice_id)

    def instrument_owners_for_user(self, user: Any):
        """Every member of a practice sees its instruments; the role's permissions decide who authors."""
        from practice.managers import practice_ids_for

        return practice_ids_for(user)

    def owner_for_new_instrument(self, user: Any) -> int | None:
        """A practice owner's imports and copies belong to their practice (the first, if they own several);
        a superuser's go into the library."""
        from practice.managers import practice_ids_for

        if getattr(user, "is_superuser", False):
            return None
        return (
            practice_ids_for(user, owner_only=True)
            .order_by("practice_id")
            .values_list("practice_id", flat=True)
            .first()
        )

    def may_contact(self, respondent: Client) -> bool:
        return bool(respondent.email) and respondent.consent_questionnaires and self.is_active(respondent)

    def is_active(self, respondent: Client) -> bool:
        return respondent.status != ClientStatus.DISCHARGED

    def page_context(self, assignment: Assignment) -> dict[str, Any]:
        """The practice's name and address on the client's pages: one small query a minute per client."""
        return practice_branding(assignment.respondent_id)

    def send_invitation(self, assignment: Assignment) -> None:
        emails.questionnaire_invitation(assignment)

    def send_reminder(self, assignment: Assignment, number: int) -> None:
        emails.questionnaire_reminder(assignment, number)

    def assignment_completed(self, assignment: Assignment) -> None:
        from clients.couples.services import couple_assignment_answered

        emails.questionnaire_completed(assignment)
        couple_assignment_answered(assignment)


def mint_link(assignment_id: int) -> dict[str, str] | None:
    """The outbox's personaliser: a fresh private link and the client's stop token at send time, or None if
    it should not go any more."""
    assignment = Assignment.objects.filter(pk=assignment_id).first()
    if assignment is None:
        return None
    try:
        url = TandemHooks().link_url(link_issue(assignment=assignment))
    except LinkClosed:
        return None
    return {LINK_PLACEHOLDER: url, **emails.stop_tokens(assignment.respondent_id)}


def review_panel(request) -> dict[str, Any] | None:
    """The admin front page's "Questionnaires" panel: what awaits this therapist, with links to the queue."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from assessments.results import review_counts

    if not request.user.has_perm("assessments.view_response"):
        return None
    counts = review_counts(request.user)
    queue = reverse("admin:assessments_response_queue")
    return {
        "title": _("Questionnaires"),
        "items": [
            (_("Responses to review"), counts["unreviewed"], queue),
            (_("… with a risk flag"), counts["flagged"], queue),
            (_("Links expiring within 2 days"), counts["expiring"], queue),
            (_("Expired unanswered (30 days)"), counts["overdue"], queue),
        ],
    }
