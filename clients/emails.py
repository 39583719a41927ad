"""Emails about a client's questionnaires: invitation, reminder, and two notes to the therapist.

Clients' emails carry a private link and a link to stop them, never what the questionnaire is
about; the therapist's notes carry a link to the admin, never scores or answers. Every one goes
through the outbox, once per idempotency key.
"""

from __future__ import annotations

import zoneinfo
from typing import TYPE_CHECKING

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from practice import emails, outbox
from practice.models import EmailKind
from practice.tokens import read_id, sign_id

if TYPE_CHECKING:
    from assessments.models import Assignment
    from clients.models import Client
    from practice.models import OutboundEmail

STOP_QUESTIONNAIRES_SALT = "clients.stop.questionnaires"
LINK_PERSONALISER = "assessments.link"


def stop_token(client: Client) -> str:
    return sign_id(client.pk, STOP_QUESTIONNAIRES_SALT)


def read_stop_token(token: str) -> int | None:
    return read_id(token, STOP_QUESTIONNAIRES_SALT)


def stop_url(client: Client) -> str:
    return settings.TANDEM_SITE_URL + reverse("clients:stop_questionnaires", args=[stop_token(client)])


def _staff_name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


def _local(moment, client: Client):
    return timezone.localtime(moment, zoneinfo.ZoneInfo(client.practice.time_zone))


def _to_client(assignment: Assignment, name: str, key: str, kind: str) -> OutboundEmail:
    client = assignment.respondent
    stop = stop_url(client)
    return emails.queue(
        f"clients/email/{name}",
        practice=client.practice,
        to=client.email,
        key=key,
        kind=kind,
        context={
            "client_name": client.preferred_name or client.first_name,
            "therapist_name": _staff_name(client.therapist),
            "link": outbox.LINK_PLACEHOLDER,
            "expires": _local(assignment.expires_at, client),
            "message": assignment.message,
            "stop_url": stop,
        },
        headers={"List-Unsubscribe": f"<{stop}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        personaliser=LINK_PERSONALISER,
        personalise_id=assignment.pk,
        resend_if_lost=kind == EmailKind.INVITATION,  # a lost invitation is worse than a second one
    )


def questionnaire_invitation(assignment: Assignment) -> OutboundEmail:
    key = f"assignment:{assignment.pk}:invitation:{assignment.invitations_sent}"
    return _to_client(assignment, "questionnaire_invitation", key, EmailKind.INVITATION)


def questionnaire_reminder(assignment: Assignment, number: int) -> OutboundEmail:
    key = f"assignment:{assignment.pk}:reminder:{number}"
    return _to_client(assignment, "questionnaire_reminder", key, EmailKind.REMINDER)


def _to_therapist(client: Client, name: str, key: str, admin_path: str) -> OutboundEmail | None:
    therapist = client.therapist
    if not therapist.email:
        return None
    return emails.queue(
        f"clients/email/{name}",
        practice=client.practice,
        to=therapist.email,
        key=key,
        kind=EmailKind.NOTIFICATION,
        context={"recipient_name": therapist.get_short_name() or _staff_name(therapist), "admin_url": admin_path},
    )


def questionnaire_completed(assignment: Assignment) -> OutboundEmail | None:
    """To the therapist: a link to the completed assignment, and nothing else about it."""
    path = reverse("admin:assessments_assignment_change", args=[assignment.pk])
    return _to_therapist(
        assignment.respondent,
        "questionnaire_completed",
        f"assignment:{assignment.pk}:completed",
        settings.TANDEM_SITE_URL + path,
    )


def questionnaire_emails_stopped(client: Client, record_id: int) -> OutboundEmail | None:
    """To the therapist: a client used the stop link; a link to their record."""
    path = reverse("admin:clients_client_change", args=[client.pk])
    return _to_therapist(
        client, "questionnaire_emails_stopped", f"consent:{record_id}:notify", settings.TANDEM_SITE_URL + path
    )
