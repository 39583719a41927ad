"""Rendering an email from its templates and queueing it; the test email.

Every app's emails extend ``mail/email/base.html`` and ``base.txt``, branded with the practice.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string

from practice.mail import outbox
from practice.mail.models import EmailKind, OutboundEmail

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from practice.models import Practice


def rendered(name: str, *, practice: Practice, context: dict[str, Any]) -> tuple[str, str, str]:
    """Subject, text and HTML of ``<name>_subject.txt``, ``<name>.txt`` and ``<name>.html``."""
    full_context = {"practice": practice, "site_url": settings.TANDEM_SITE_URL, **context}
    subject = " ".join(render_to_string(f"{name}_subject.txt", full_context).split())
    return subject, render_to_string(f"{name}.txt", full_context), render_to_string(f"{name}.html", full_context)


def queue(name: str, *, practice: Practice, to: str, key: str, kind: str, context: dict[str, Any], **options: Any):
    """Render one email from its templates and put it in the outbox (``options`` go to ``outbox.enqueue``)."""
    subject, text, html = rendered(name, practice=practice, context=context)
    return outbox.enqueue(
        practice=practice, key=key, kind=kind, to=to, subject=subject, text=text, html=html, **options
    )


@transaction.atomic
def email_check(*, practice: Practice, user: AbstractBaseUser) -> OutboundEmail:
    """Queue the practice's test email to a staff member; each request is a new message."""
    return queue(
        "mail/email/email_check",
        practice=practice,
        to=user.email,
        key=f"email-check:{practice.pk}:{user.pk}:{uuid.uuid4().hex}",
        kind=EmailKind.EMAIL_CHECK,
        context={"recipient_name": user.get_short_name() or user.get_username()},
    )
