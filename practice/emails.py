"""One small function per email, each rendering a subject, a text part and an HTML part."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from practice.models import Practice


def render(name: str, *, practice: Practice, to: list[str], context: dict[str, Any]) -> EmailMultiAlternatives:
    """Render ``<app>/email/<name>_subject.txt``, ``.txt`` and ``.html`` on the practice's branding."""
    full_context = {"practice": practice, "site_url": settings.TANDEM_SITE_URL, **context}
    subject = " ".join(render_to_string(f"{name}_subject.txt", full_context).split())
    text = render_to_string(f"{name}.txt", full_context)
    html = render_to_string(f"{name}.html", full_context)
    message = EmailMultiAlternatives(subject=subject, body=text, from_email=practice.from_email, to=to)
    message.attach_alternative(html, "text/html")
    return message


def email_check(*, practice: Practice, user: AbstractBaseUser) -> EmailMultiAlternatives:
    return render(
        "practice/email/email_check",
        practice=practice,
        to=[user.email],
        context={"recipient_name": user.get_short_name() or user.get_username()},
    )
