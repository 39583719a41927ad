"""The newsletter's own emails (the campaigns themselves are rendered in ``campaigns``)."""

from __future__ import annotations

from practice.mail.emails import queue
from practice.mail.hooks import LINK_PLACEHOLDER
from practice.mail.models import EmailKind, OutboundEmail
from practice.newsletter.models import Subscriber, SubscriberStatus

#: Fills in a confirmation's link as it is sent (``confirm_link``), so no stored email holds a working one.
CONFIRM_PERSONALISER = "newsletter.confirmation"


def subscription_confirmation(*, subscriber: Subscriber, day: str) -> OutboundEmail:
    """The double opt-in link, at most once per subscriber per day, minted as the email goes.

    Not tied to the subscriber's newsletter personaliser: that cancels messages to subscribers who
    are not confirmed, and a confirmation is by definition sent before that; its own personaliser
    sends it only while the subscriber is still pending.
    """
    return queue(
        "newsletter/email/confirm_subscription",
        practice=subscriber.practice,
        to=subscriber.email,
        key=f"subscriber:{subscriber.pk}:confirm:{day}",
        kind=EmailKind.CONFIRMATION,
        context={"confirm_url": LINK_PLACEHOLDER},
        resend_if_lost=True,
        personaliser=CONFIRM_PERSONALISER,
        personalise_id=subscriber.pk,
    )


def confirm_link(subscriber_id: int | None) -> str | None:
    """The outbox's personaliser for confirmations: a fresh link while the subscriber is pending, else None."""
    from practice.newsletter.subscriptions import confirm_url

    subscriber = Subscriber.objects.filter(pk=subscriber_id, status=SubscriberStatus.PENDING).first()
    return None if subscriber is None else confirm_url(subscriber)
