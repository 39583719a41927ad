"""Use cases for clients: they write several rows together or not at all."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from clients.models import Channel, Client, ConsentRecord
from practice.subscriptions import subscriber_from_client_consent

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


@transaction.atomic
def questionnaire_emails_stop(*, client: Client, source: str) -> ConsentRecord | None:
    """The client withdraws consent to questionnaire emails themselves; their therapist is told once."""
    from clients.emails import questionnaire_emails_stopped

    record = consent_set(client=client, channel=Channel.QUESTIONNAIRES, given=False, source=source)
    if record is not None:
        questionnaire_emails_stopped(client, record.pk)
    return record
