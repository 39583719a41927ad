"""Settings of the clients app (``CLIENTS_*``), read lazily so ``override_settings`` works."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULT_APPOINTMENT_REMINDERS: dict[str, object] = {"hours_before": [24]}


def appointment_reminder_offsets() -> list[timedelta]:
    """How long before an appointment its reminders go, largest first (``{"hours_before": [48, 2]}``).

    Hours may be fractions (``0.5`` is half an hour before); an empty list sends no reminders.
    """
    policy = getattr(settings, "CLIENTS_APPOINTMENT_REMINDERS", DEFAULT_APPOINTMENT_REMINDERS)
    hours = policy.get("hours_before") if isinstance(policy, dict) else None
    if not isinstance(hours, list | tuple) or not all(
        isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= 24 * 28 for value in hours
    ):
        raise ImproperlyConfigured(
            'CLIENTS_APPOINTMENT_REMINDERS must look like {"hours_before": [24]}: '
            "a list of hours before the appointment, each above 0 and at most four weeks."
        )
    return sorted({timedelta(hours=value) for value in hours}, reverse=True)
