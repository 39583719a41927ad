"""Use cases for clients: they write several rows together or not at all."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from clients.models import Channel, Client, ConsentRecord
from practice.newsletter.subscriptions import subscriber_from_client_consent

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


@transaction.atomic
def consent_set(
    *,
    client: Client,
    channel: Channel | str,
    given: bool,
    source: str,
    recorded_by: AbstractBaseUser | None = None,
    at: datetime.datetime | None = None,
) -> ConsentRecord | None:
    """Record a client's consent to ``channel``; returns ``None`` when nothing changed."""
    channel = Channel(channel)
    at = at or timezone.now()
    locked = Client.objects.select_for_update().get(pk=client.pk)
    field = Client.consent_field(channel)
    if getattr(locked, field) == given and getattr(locked, f"{field}_at") is not None:
        return None
    setattr(locked, field, given)
    setattr(locked, f"{field}_at", at)
    locked.save(update_fields=[field, f"{field}_at", "updated_at"])
    setattr(client, field, given)
    setattr(client, f"{field}_at", at)
    if channel == Channel.NEWSLETTER:
        # A client who agrees to the newsletter is a (confirmed) subscriber; withdrawing unsubscribes.
        subscriber_from_client_consent(
            practice=locked.practice, email=locked.email, name=locked.display_name, given=given
        )
    return ConsentRecord.objects.create(
        client=locked, channel=channel, given=given, at=at, source=source, recorded_by=recorded_by
    )


def _told_of_withdrawal(channel: Channel):
    """The email that tells the therapist a client stopped this channel themselves (the newsletter has none)."""
    from clients import emails

    return {
        Channel.QUESTIONNAIRES: emails.questionnaire_emails_stopped,
        Channel.APPOINTMENT_REMINDERS: emails.appointment_reminders_stopped,
    }.get(channel)


@transaction.atomic
def consent_withdrawn_by_client(*, client: Client, channel: Channel | str, source: str) -> ConsentRecord | None:
    """The client withdraws a consent themselves (a stop link, the preferences page); their therapist is told once."""
    channel = Channel(channel)
    record = consent_set(client=client, channel=channel, given=False, source=source)
    notify = _told_of_withdrawal(channel)
    if record is not None and notify is not None:
        notify(client, record.pk)
    return record
