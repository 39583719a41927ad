"""Template tags for the admin's front page."""

from __future__ import annotations

from django import template

from practice.dashboard import alerts_for, panels_for

register = template.Library()


@register.simple_tag(takes_context=True)
def dashboard_alerts(context) -> list[dict]:
    """What other apps need this user to see first (see ``practice.dashboard``)."""
    request = context.get("request")
    return alerts_for(request) if request is not None else []


@register.simple_tag(takes_context=True)
def dashboard_panels(context) -> list[dict]:
    """What other apps put on the front page for this user (see ``practice.dashboard``)."""
    request = context.get("request")
    return panels_for(request) if request is not None else []
