"""Public pages of the practice: newsletter subscription, confirmation, unsubscribe, preferences."""

from __future__ import annotations

app_name = "practice"

urlpatterns: list = []
