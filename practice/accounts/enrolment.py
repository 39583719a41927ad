"""Enrolling a second factor takes more than the password: a one-time link sent to the account's own address.

An account with no confirmed authenticator asks for a link on the enrolment page; Tandem emails it to the
address on the account (through the outbox, its key minted only as the email goes, like a questionnaire
link), or prints it (``python manage.py enrolment_link NAME``) for an account with no practice to send
from. Opening it, signed in as that account, lets that session enrol once; it lasts a day
(``TANDEM_ENROLMENT_LINK_HOURS``) and only its hash is kept. So a stolen password alone cannot enrol
the thief's phone.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from practice.accounts.models import EnrolmentLink
from practice.accounts.tokens import token_hash

PERSONALISER = "accounts.enrolment"
#: Session key: the enrolment link this session opened.
SESSION_KEY = "tandem_enrolment_link"


def _lasts() -> timedelta:
    return timedelta(hours=float(getattr(settings, "TANDEM_ENROLMENT_LINK_HOURS", 24)))


def _open_links():
    return EnrolmentLink.objects.filter(used_at__isnull=True, expires_at__gt=timezone.now())


def enrolment_url(raw: str) -> str:
    return settings.TANDEM_SITE_URL + reverse("two_factor:enrol", args=[raw])


def _mint(link: EnrolmentLink) -> str:
    raw = secrets.token_urlsafe(32)
    EnrolmentLink.objects.filter(pk=link.pk).update(token_hash=token_hash(raw))
    return raw


def mint_for_email(link_id: int | None) -> str | None:
    """The outbox's personaliser: a fresh key for the link as its email goes, or None once it is used or old."""
    link = _open_links().filter(pk=link_id).first()
    return None if link is None else enrolment_url(_mint(link))


@transaction.atomic
def enrolment_link_issue(*, user, issued_by=None) -> tuple[EnrolmentLink, str | None]:
    """A new link for ``user``, emailed to their address: the row, and the URL when there is no practice to
    send from (the caller prints it; a server command). Earlier open links stop working."""
    from practice.mail import emails
    from practice.mail.hooks import LINK_PLACEHOLDER
    from practice.mail.models import EmailKind
    from practice.models import Membership

    _open_links().filter(user=user).update(expires_at=timezone.now())
    link = EnrolmentLink.objects.create(user=user, issued_by=issued_by, expires_at=timezone.now() + _lasts())
    membership = Membership.objects.filter(user=user).select_related("practice").first()
    if membership is None or not user.email:
        return link, enrolment_url(_mint(link))
    emails.queue(
        "accounts/email/enrolment_link",
        practice=membership.practice,
        to=user.email,
        key=f"enrolment:{link.pk}",
        kind=EmailKind.NOTIFICATION,
        context={"recipient_name": user.get_short_name() or user.get_username(), "link": LINK_PLACEHOLDER},
        personaliser=PERSONALISER,
        personalise_id=link.pk,
        resend_if_lost=True,
    )
    return link, None


def enrolment_link_open(*, raw: str, user) -> EnrolmentLink | None:
    """The open link ``raw`` names, if it is ``user``'s."""
    if not isinstance(raw, str) or not raw or len(raw) > 100:
        return None
    return _open_links().filter(token_hash=token_hash(raw), user=user).first()


def session_may_enrol(request) -> EnrolmentLink | None:
    """The open link this session opened, if any: what lets it enrol."""
    link_id = request.session.get(SESSION_KEY)
    if not link_id:
        return None
    return _open_links().filter(pk=link_id, user=request.user).first()


def enrolment_done(request, link: EnrolmentLink) -> None:
    EnrolmentLink.objects.filter(pk=link.pk).update(used_at=timezone.now())
    request.session.pop(SESSION_KEY, None)
