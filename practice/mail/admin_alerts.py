"""The front-page alert that sending is paused, for staff who may see the outbox."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from practice.mail.models import DeliveryState


def sending_paused_alert(request: HttpRequest) -> dict[str, Any] | None:
    if not request.user.has_perm("mail.view_outboundemail"):
        return None
    state = DeliveryState.objects.filter(singleton=True, paused=True).first()
    if state is None:
        return None
    return {
        "message": _("Email sending is paused."),
        "detail": state.reason,
        "link_text": _("Open the outbox to resume"),
        "url": reverse("admin:mail_outboundemail_changelist"),
    }
