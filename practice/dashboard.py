"""Panels other apps add to the admin's front page (e.g. what awaits review), without practice knowing them.

A panel is a callable taking the request and returning ``{"title", "items": [(label, count, url)]}`` or
None to show nothing; registered in an app's ``ready()``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

Panel = Callable[[HttpRequest], dict[str, Any] | None]
_PANELS: list[Panel] = []


def register_panel(panel: Panel) -> None:
    if panel not in _PANELS:
        _PANELS.append(panel)


def panels_for(request: HttpRequest) -> list[dict[str, Any]]:
    return [shown for panel in _PANELS if (shown := panel(request))]
