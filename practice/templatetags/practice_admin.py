"""Template tags for the admin pages of the practice app."""

from __future__ import annotations

from django import template

from practice.models import DeliveryState

register = template.Library()


@register.simple_tag(takes_context=True)
def delivery_paused(context) -> DeliveryState | None:
    """The paused delivery state, for staff who may see the outbox; None otherwise."""
    request = context.get("request")
    if request is None or not request.user.has_perm("practice.view_outboundemail"):
        return None
    return DeliveryState.objects.filter(singleton=True, paused=True).first()


@register.simple_tag(takes_context=True)
def dashboard_panels(context) -> list[dict]:
    """What other apps put on the front page for this user (see ``practice.dashboard``)."""
    from practice.dashboard import panels_for

    request = context.get("request")
    return panels_for(request) if request is not None else []
