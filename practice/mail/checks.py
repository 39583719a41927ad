"""System checks for mail delivery's timing settings."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register

from practice.mail import app_settings


@register()
def timings_fit_the_broker(app_configs=None, **kwargs) -> list[Error]:
    """A drain's run and its self-scheduled countdown must end before Redis would hand the task out again."""
    errors = []
    visibility = (getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {}).get("visibility_timeout")
    longest = max(app_settings.drain_time_budget_seconds(), app_settings.drain_max_countdown_seconds())
    if visibility is not None and longest + 30 > float(visibility):
        errors.append(
            Error(
                f"The broker's visibility timeout ({visibility} s) must exceed the drain's time budget and its "
                f"longest countdown ({longest:.0f} s) by at least 30 s, or Redis hands running drains out twice.",
                hint="Raise CELERY_VISIBILITY_TIMEOUT or lower PRACTICE_DRAIN_TIME_BUDGET_SECONDS.",
                id="mail.E001",
            )
        )
    if app_settings.outbox_lease_seconds() < 1:
        errors.append(Error("PRACTICE_OUTBOX_LEASE_SECONDS must be at least 1.", id="mail.E002"))
    return errors
