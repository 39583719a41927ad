"""One small function per email, each rendering a subject, a text part and an HTML part."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.template.loader import render_to_string

from practice import outbox
from practice.models import EmailKind, OutboundEmail

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from practice.models import Practice


def rendered(name: str, *, practice: Practice, context: dict[str, Any]) -> tuple[str, str, str]:
    """Subject, text and HTML of ``<name>_subject.txt``, ``<name>.txt`` and ``<name>.html``."""
    full_context = {"practice": practice, "site_url": settings.TANDEM_SITE_URL, **context}
    subject = " ".join(render_to_string(f"{name}_subject.txt", full_context).split())
    return subject, render_to_string(f"{name}.txt", full_context), render_to_string(f"{name}.html", full_context)


def email_check(*, practice: Practice, user: AbstractBaseUser) -> OutboundEmail:
    """Queue the practice's test email to a staff member; each request is a new message."""
    subject, text, html = rendered(
        "practice/email/email_check",
        practice=practice,
        context={"recipient_name": user.get_short_name() or user.get_username()},
    )
    return outbox.enqueue(
        practice=practice,
        key=f"email-check:{practice.pk}:{user.pk}:{uuid.uuid4().hex}",
        kind=EmailKind.EMAIL_CHECK,
        to=user.email,
        subject=subject,
        text=text,
        html=html,
    )
