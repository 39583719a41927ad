"""What other apps put on the admin's front page, without the practice app knowing them.

A *panel* (e.g. what awaits review) is a callable taking the request and returning
``{"title", "items": [(label, count, url)]}``, or None to show nothing. An *alert* (e.g. sending is
paused) returns ``{"message", "detail", "link_text", "url"}`` or None. Both are registered in an
app's ``ready()``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

Panel = Callable[[HttpRequest], dict[str, Any] | None]
_PANELS: list[Panel] = []
_ALERTS: list[Panel] = []


def register_panel(panel: Panel) -> None:
    if panel not in _PANELS:
        _PANELS.append(panel)


def register_alert(alert: Panel) -> None:
    if alert not in _ALERTS:
        _ALERTS.append(alert)


def panels_for(request: HttpRequest) -> list[dict[str, Any]]:
    return [shown for panel in _PANELS if (shown := panel(request))]


def alerts_for(request: HttpRequest) -> list[dict[str, Any]]:
    return [shown for alert in _ALERTS if (shown := alert(request))]
