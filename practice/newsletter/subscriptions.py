"""The practice newsletter's subscribers: double opt-in, confirmation, unsubscribing and preferences.

Every public outcome is decided here, so the views stay thin and the clients app can reuse the
same rules (``subscriber_from_client_consent``). Unsubscribing changes the subscriber's status
only; the suppression list is for bounces and complaints, not for people who changed their mind.
"""

from __future__ import annotations

import logging
import zoneinfo
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from practice.fields import normalised_email
from practice.mail.models import Suppression
from practice.newsletter import emails, tokens
from practice.newsletter.models import Subscriber, SubscriberStatus

if TYPE_CHECKING:
    from practice.mail.models import OutboundEmail
    from practice.models import Practice

logger = logging.getLogger(__name__)

SOURCE_CLIENT_RECORD = "client record"

#: Statuses in which the newsletter is (or will be, once confirmed) sent to the address.
RECEIVING = (SubscriberStatus.PENDING, SubscriberStatus.CONFIRMED)

CONSENT_WORDING = _("I would like to receive the %(practice)s newsletter by email. I can unsubscribe at any time.")
CLIENT_RECORD_CONSENT = _("Consent to the newsletter recorded by the practice in the client record.")


def consent_wording(practice: Practice) -> str:
    """The exact sentence shown next to the consent box, and stored with the subscriber who ticks it."""
    return str(CONSENT_WORDING) % {"practice": practice.name}


def _practice_today(practice: Practice) -> str:
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(practice.time_zone)).isoformat()


def absolute_url(path: str) -> str:
    return f"{settings.TANDEM_SITE_URL}{path}"


def confirm_url(subscriber: Subscriber) -> str:
    return absolute_url(reverse("newsletter:confirm", args=[tokens.confirm_token(subscriber.pk)]))


def unsubscribe_url(subscriber: Subscriber) -> str:
    return absolute_url(reverse("newsletter:unsubscribe", args=[tokens.unsubscribe_token(subscriber.pk)]))


def preferences_url(subscriber: Subscriber) -> str:
    return absolute_url(reverse("newsletter:preferences", args=[tokens.unsubscribe_token(subscriber.pk)]))


def _confirmation_enqueue(*, subscriber: Subscriber) -> OutboundEmail:
    return emails.subscription_confirmation(subscriber=subscriber, day=_practice_today(subscriber.practice))


@transaction.atomic
def subscriber_subscribe(
    *, practice: Practice, email: str, name: str, consent_text: str, source: str
) -> Subscriber | None:
    """Ask for the newsletter: a pending subscriber and one confirmation email, unless nothing should change.

    Confirmed subscribers are left exactly as they are (someone else may be typing their address), and
    suppressed addresses (bounces, complaints) get nothing. Returns the subscriber, or None when nothing
    was stored. Callers must answer the same whatever happened here, so nobody learns who subscribes.
    """
    email = normalised_email(email)
    if Suppression.objects.filter(practice=practice, email=email).exists():
        return None
    subscriber, _created = Subscriber.objects.select_for_update().get_or_create(
        practice=practice, email=email, defaults={"status": SubscriberStatus.PENDING}
    )
    if subscriber.status == SubscriberStatus.CONFIRMED:
        return subscriber
    subscriber.status = SubscriberStatus.PENDING
    subscriber.consent_text = consent_text
    subscriber.consent_at = timezone.now()
    subscriber.confirmed_at = None
    subscriber.source = source[:100]
    if name:
        subscriber.name = name[:200]
    subscriber.save()
    _confirmation_enqueue(subscriber=subscriber)
    return subscriber


@transaction.atomic
def subscriber_confirm(*, subscriber: Subscriber) -> bool:
    """Confirm a pending subscriber; True when the subscriber now receives the newsletter.

    Confirming twice is harmless. A link for someone who has since unsubscribed, bounced or complained
    confirms nothing: they subscribe again and receive a fresh link.
    """
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    if subscriber.status == SubscriberStatus.CONFIRMED:
        return True
    if subscriber.status != SubscriberStatus.PENDING:
        return False
    subscriber.status = SubscriberStatus.CONFIRMED
    subscriber.confirmed_at = timezone.now()
    subscriber.save(update_fields=["status", "confirmed_at"])
    return True


@transaction.atomic
def subscriber_unsubscribe(*, subscriber: Subscriber, source: str) -> Subscriber:
    """Stop the newsletter to this subscriber; repeating it changes nothing.

    Bounced and complained subscribers already receive nothing and keep that status. ``source`` says how
    (``one-click``, ``unsubscribe page``, ``preferences page``, ``client record``); it is logged with the id,
    because ``Subscriber.source`` records how they subscribed.
    """
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    if subscriber.status in RECEIVING:
        subscriber.status = SubscriberStatus.UNSUBSCRIBED
        subscriber.unsubscribed_at = timezone.now()
        subscriber.save(update_fields=["status", "unsubscribed_at"])
        logger.info("Subscriber %s unsubscribed (%s)", subscriber.pk, source)
    return subscriber


@transaction.atomic
def subscriber_from_client_consent(*, practice: Practice, email: str, name: str, given: bool) -> Subscriber | None:
    """Mirror a client's newsletter consent: given makes a confirmed subscriber, withdrawn unsubscribes.

    The practice recorded the consent itself, so there is no confirmation email. Returns None when there
    is no address or nothing to withdraw.
    """
    email = normalised_email(email)
    if not email:
        return None
    if not given:
        subscriber = Subscriber.objects.filter(practice=practice, email=email).first()
        if subscriber is None:
            return None
        return subscriber_unsubscribe(subscriber=subscriber, source=SOURCE_CLIENT_RECORD)
    subscriber, _created = Subscriber.objects.select_for_update().get_or_create(
        practice=practice, email=email, defaults={"status": SubscriberStatus.PENDING}
    )
    if subscriber.status == SubscriberStatus.CONFIRMED:
        return subscriber
    now = timezone.now()
    subscriber.status = SubscriberStatus.CONFIRMED
    subscriber.confirmed_at = now
    subscriber.consent_at = now
    subscriber.consent_text = str(CLIENT_RECORD_CONSENT)
    subscriber.source = SOURCE_CLIENT_RECORD
    if name and not subscriber.name:
        subscriber.name = name[:200]
    subscriber.save()
    return subscriber


# --- Preferences -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreferenceCheckbox:
    """One choice on the preferences page. ``name`` is the form field name, unique across providers."""

    name: str
    label: str
    checked: bool
    help_text: str = ""


class PreferenceProvider(Protocol):
    """What another app registers to add its own choices (appointment reminders, say) to the page."""

    def checkboxes(self, *, practice: Practice, email: str) -> list[PreferenceCheckbox]: ...

    def save(self, *, practice: Practice, email: str, ticked: set[str]) -> None: ...


#: Providers of further choices on the preferences page, in display order. None is registered yet:
#: the page shows only the newsletter. Another app appends to this (``register_preference_provider``)
#: in its ``AppConfig.ready``; its ``checkboxes`` get the subscriber's address and practice, and ``save``
#: gets the names of the boxes left ticked, inside the same transaction as the newsletter change.
PREFERENCE_PROVIDERS: list[PreferenceProvider] = []

NEWSLETTER_CHECKBOX = "newsletter"


def register_preference_provider(provider: PreferenceProvider) -> PreferenceProvider:
    if provider not in PREFERENCE_PROVIDERS:
        PREFERENCE_PROVIDERS.append(provider)
    return provider


def preference_checkboxes(*, subscriber: Subscriber) -> list[PreferenceCheckbox]:
    """The newsletter box (only while it is being received; subscribing again needs consent) and the providers'."""
    boxes = []
    if subscriber.status in RECEIVING:
        boxes.append(
            PreferenceCheckbox(
                name=NEWSLETTER_CHECKBOX,
                label=gettext("The %(practice)s newsletter") % {"practice": subscriber.practice.name},
                checked=True,
                help_text=gettext("Untick this box and save to stop receiving it."),
            )
        )
    for provider in PREFERENCE_PROVIDERS:
        boxes.extend(provider.checkboxes(practice=subscriber.practice, email=subscriber.email))
    return boxes


@transaction.atomic
def preferences_save(*, subscriber: Subscriber, ticked: set[str]) -> None:
    """Apply the preferences page: an unticked newsletter box unsubscribes; providers apply their own."""
    if subscriber.status in RECEIVING and NEWSLETTER_CHECKBOX not in ticked:
        subscriber_unsubscribe(subscriber=subscriber, source="preferences page")
    for provider in PREFERENCE_PROVIDERS:
        provider.save(practice=subscriber.practice, email=subscriber.email, ticked=ticked)
