"""The email that tells each partner their joint summary is ready: a private link, never the summary itself."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from assessments.hooks import get_hooks
from clients.emails import stop_url
from practice.mail import emails, outbox
from practice.mail.models import EmailKind
from practice.people import person_name

SUMMARY_PERSONALISER = "clients.couple_summary"


def joint_summary_shared(couple_assignment) -> int:
    """Queue one email per partner who may be emailed; the outbox fills in a fresh link as each is sent."""
    hooks = get_hooks()
    queued = 0
    for partner in couple_assignment.couple.partners:
        if not hooks.may_contact(partner):
            continue
        stop = stop_url(partner)
        emails.queue(
            "clients/email/joint_summary",
            practice=partner.practice,
            to=partner.email,
            key=f"couple-assignment:{couple_assignment.pk}:summary:{partner.pk}",
            kind=EmailKind.NOTIFICATION,
            context={
                "client_name": partner.preferred_name or partner.first_name,
                "therapist_name": person_name(partner.therapist),
                "link": outbox.LINK_PLACEHOLDER,
                "stop_url": stop,
            },
            headers={"List-Unsubscribe": f"<{stop}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
            personaliser=SUMMARY_PERSONALISER,
            personalise_id=couple_assignment.pk,
        )
        queued += 1
    return queued


def mint_summary_link(couple_assignment_id: int | None) -> str | None:
    """The outbox's personaliser: a fresh private link at send time, or None once it is no longer shared."""
    from clients.couples.links import shareable, summary_link_issue
    from clients.couples.models import CoupleAssignment

    found = CoupleAssignment.objects.select_related("couple").filter(pk=couple_assignment_id).first()
    if found is None or not shareable(found):
        return None
    return settings.TANDEM_SITE_URL + reverse("clients:couple_summary", args=[summary_link_issue(found)])
