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

from clients import wallclock
from practice.mail import emails, outbox
from practice.mail.models import EmailKind
from practice.people import person_name
from practice.tokens import read_id, sign_id

if TYPE_CHECKING:
    from assessments.models import Assignment
    from clients.models import Appointment, Client
    from practice.mail.models import OutboundEmail

STOP_QUESTIONNAIRES_SALT = "clients.stop.questionnaires"
LINK_PERSONALISER = "assessments.link"
#: Stands for the client's stop token in a stored email (its stop link and List-Unsubscribe header); the
#: personalisers fill it in as the email goes (``stop_tokens``), so no stored row holds a working one.
STOP_SLOT = "stop-token-filled-in-when-sent"


def stop_token(client: Client) -> str:
    return sign_id(client.pk, STOP_QUESTIONNAIRES_SALT)


def read_stop_token(token: str) -> int | None:
    return read_id(token, STOP_QUESTIONNAIRES_SALT)


def stop_url(client: Client) -> str:
    return settings.TANDEM_SITE_URL + reverse("clients:stop_questionnaires", args=[stop_token(client)])


def _local(moment, client: Client):
    return timezone.localtime(moment, zoneinfo.ZoneInfo(client.practice.time_zone))


def stop_tokens(client_id: int) -> dict[str, str]:
    """What a personaliser fills in for ``STOP_SLOT``: the client's stop token for the kind of email it stops
    (questionnaire and appointment emails use different salts, so each slot is its own)."""
    return {
        _slot(STOP_QUESTIONNAIRES_SALT): sign_id(client_id, STOP_QUESTIONNAIRES_SALT),
        _slot(STOP_APPOINTMENT_REMINDERS_SALT): sign_id(client_id, STOP_APPOINTMENT_REMINDERS_SALT),
    }


def _slot(salt: str) -> str:
    return f"{STOP_SLOT}-{salt.rsplit('.', 1)[1].replace('_', '-')}"


def _to_client(assignment: Assignment, name: str, key: str, kind: str) -> OutboundEmail:
    client = assignment.respondent
    stop = settings.TANDEM_SITE_URL + reverse("clients:stop_questionnaires", args=[_slot(STOP_QUESTIONNAIRES_SALT)])
    with timezone.override(zoneinfo.ZoneInfo(client.practice.time_zone)):  # dates as the practice reads them
        return _queue_to_client(assignment, client, name, key, kind, stop)


def _queue_to_client(assignment: Assignment, client: Client, name: str, key: str, kind: str, stop: str):
    return emails.queue(
        f"clients/email/{name}",
        practice=client.practice,
        to=client.email,
        key=key,
        kind=kind,
        context={
            "client_name": client.preferred_name or client.first_name,
            "therapist_name": person_name(client.therapist),
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
        context={"recipient_name": therapist.get_short_name() or person_name(therapist), "admin_url": admin_path},
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


# --- Appointments ----------------------------------------------------------------------------------------------
# Confirmation, change and cancellation carry a calendar invitation; all of them need the client's consent to
# appointment emails and carry a link to stop them. Each is tied to its appointment through a personaliser, which
# the outbox asks at send time whether the message should still go (nothing is filled in: there is no link).

STOP_APPOINTMENT_REMINDERS_SALT = "clients.stop.appointment_reminders"
APPOINTMENT_PERSONALISER = "clients.appointment"
APPOINTMENT_REMINDER_PERSONALISER = "clients.appointment_reminder"


def appointment_stop_token(client: Client) -> str:
    return sign_id(client.pk, STOP_APPOINTMENT_REMINDERS_SALT)


def read_appointment_stop_token(token: str) -> int | None:
    return read_id(token, STOP_APPOINTMENT_REMINDERS_SALT)


def appointment_stop_url(client: Client) -> str:
    return settings.TANDEM_SITE_URL + reverse(
        "clients:stop_appointment_reminders", args=[appointment_stop_token(client)]
    )


def _appointment_to_client(
    appointment: Appointment,
    name: str,
    key: str,
    *,
    personaliser: str = APPOINTMENT_PERSONALISER,
    method: str | None = None,
    resend_if_lost: bool = True,
) -> OutboundEmail:
    from clients.calendar import ics_attachment, location_of, therapist_name
    from clients.models import AppointmentKind

    client = appointment.client
    stop = settings.TANDEM_SITE_URL + reverse(
        "clients:stop_appointment_reminders", args=[_slot(STOP_APPOINTMENT_REMINDERS_SALT)]
    )
    # Templates format dates in the current zone: the practice's, whatever the server's is.
    with timezone.override(appointment.time_zone):
        return emails.queue(
            f"clients/email/{name}",
            practice=client.practice,
            to=client.email,
            key=key,
            kind=EmailKind.APPOINTMENT,
            context={
                "client_name": client.preferred_name or client.first_name,
                "therapist_name": therapist_name(appointment),
                "starts": appointment.local_start,
                "ends": appointment.local_end,
                "start_time": wallclock.clock_text(appointment.local_start, appointment.time_zone),
                "end_time": wallclock.clock_text(appointment.local_end, appointment.time_zone),
                "time_zone": client.practice.time_zone,
                "online": appointment.kind == AppointmentKind.ONLINE,
                "meeting_url": appointment.meeting_url,
                "where": location_of(appointment),
                "stop_url": stop,
            },
            headers={"List-Unsubscribe": f"<{stop}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
            attachments=[ics_attachment(appointment, method=method)] if method else None,
            personaliser=personaliser,
            personalise_id=appointment.pk,
            # A lost calendar message is worse than a second copy, which calendars merge by UID and SEQUENCE.
            resend_if_lost=resend_if_lost,
        )


def appointment_confirmation(appointment: Appointment) -> OutboundEmail:
    """The booking, with an invitation for the client's calendar; once per appointment."""
    from clients.calendar import REQUEST

    return _appointment_to_client(
        appointment, "appointment_confirmation", f"appointment:{appointment.pk}:booked", method=REQUEST
    )


def appointment_update(appointment: Appointment) -> OutboundEmail:
    """A change of time or place, with the invitation at its new SEQUENCE; once per change."""
    from clients.calendar import REQUEST

    key = f"appointment:{appointment.pk}:update:{appointment.sequence}"
    return _appointment_to_client(appointment, "appointment_updated", key, method=REQUEST)


def appointment_cancellation(appointment: Appointment) -> OutboundEmail:
    """The cancellation, with a METHOD:CANCEL that removes the event from the client's calendar."""
    from clients.calendar import CANCEL

    key = f"appointment:{appointment.pk}:cancelled"
    return _appointment_to_client(appointment, "appointment_cancelled", key, method=CANCEL)


def appointment_reminder(appointment: Appointment, minutes_before: int) -> OutboundEmail:
    """One reminder slot of the appointment as it stands (its SEQUENCE): never twice, never after the start."""
    key = f"appointment:{appointment.pk}:{appointment.sequence}:reminder:{minutes_before}"
    return _appointment_to_client(
        appointment,
        "appointment_reminder",
        key,
        personaliser=APPOINTMENT_REMINDER_PERSONALISER,
        resend_if_lost=False,  # a reminder may have arrived: never risk a second copy
    )


def appointment_reminders_stopped(client: Client, record_id: int) -> OutboundEmail | None:
    """To the therapist: a client used the stop link in an appointment email; a link to their record."""
    path = reverse("admin:clients_client_change", args=[client.pk])
    return _to_therapist(
        client, "appointment_reminders_stopped", f"consent:{record_id}:notify", settings.TANDEM_SITE_URL + path
    )
