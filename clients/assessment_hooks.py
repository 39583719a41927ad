"""How Tandem plugs into the questionnaire engine: clients are the respondents, the outbox sends.

Named in ``ASSESSMENTS_HOOKS``. A therapist sees the clients ``Client.objects.for_user`` gives
them; a client is emailed only with consent to questionnaires and while not discharged.
"""

from __future__ import annotations

from typing import Any

from assessments.hooks import DefaultHooks
from assessments.links import LinkClosed, link_issue
from assessments.models import Assignment
from clients import emails
from clients.models import Client, ClientStatus


class TandemHooks(DefaultHooks):
    def respondents_for_user(self, user: Any):
        return Client.objects.for_user(user)

    def may_contact(self, respondent: Client) -> bool:
        return bool(respondent.email) and respondent.consent_questionnaires and self.is_active(respondent)

    def is_active(self, respondent: Client) -> bool:
        return respondent.status != ClientStatus.DISCHARGED

    def respondent_select_related(self) -> tuple[str, ...]:
        return ("practice",)

    def page_context(self, assignment: Assignment) -> dict[str, Any]:
        practice = assignment.respondent.practice
        return {"brand_name": practice.name, "contact_email": practice.contact_email}

    def send_invitation(self, assignment: Assignment) -> None:
        emails.questionnaire_invitation(assignment)

    def send_reminder(self, assignment: Assignment, number: int) -> None:
        emails.questionnaire_reminder(assignment, number)

    def assignment_completed(self, assignment: Assignment) -> None:
        emails.questionnaire_completed(assignment)


def mint_link(assignment_id: int) -> str | None:
    """The outbox's personaliser: a fresh private link at send time, or None if it should not go any more."""
    assignment = Assignment.objects.filter(pk=assignment_id).first()
    if assignment is None:
        return None
    try:
        return TandemHooks().link_url(link_issue(assignment=assignment))
    except LinkClosed:
        return None


def review_panel(request) -> dict[str, Any] | None:
    """The admin front page's "Questionnaires" panel: what awaits this therapist, with links to the queue."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from assessments.results import review_queue

    if not request.user.has_perm("assessments.view_response"):
        return None
    counts = review_queue(Client.objects.for_user(request.user).values("pk")).counts
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
