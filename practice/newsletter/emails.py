"""The newsletter's own emails (the campaigns themselves are rendered in ``campaigns``)."""

from __future__ import annotations

from practice.mail.emails import queue
from practice.mail.models import EmailKind, OutboundEmail
from practice.newsletter.models import Subscriber


def subscription_confirmation(*, subscriber: Subscriber, confirm_url: str, day: str) -> OutboundEmail:
    """The double opt-in link, at most once per subscriber per day.

    Not tied to the subscriber's newsletter personaliser: that cancels messages to subscribers who
    are not confirmed, and a confirmation is by definition sent before that.
    """
    return queue(
        "newsletter/email/confirm_subscription",
        practice=subscriber.practice,
        to=subscriber.email,
        key=f"subscriber:{subscriber.pk}:confirm:{day}",
        kind=EmailKind.CONFIRMATION,
        context={"confirm_url": confirm_url},
        resend_if_lost=True,
    )
