"""Settings of the assessments app, read lazily so ``override_settings`` works.

``ASSESSMENTS_RESPONDENT_MODEL``
    ``"app_label.ModelName"`` of whoever answers questionnaires (default: ``AUTH_USER_MODEL``).
    Like ``AUTH_USER_MODEL`` it must be set before the first migration and not changed after.
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def respondent_model_label() -> str:
    return getattr(settings, "ASSESSMENTS_RESPONDENT_MODEL", settings.AUTH_USER_MODEL)


def get_respondent_model():
    """The respondent model class, or ImproperlyConfigured saying what is wrong with the setting."""
    label = respondent_model_label()
    try:
        return apps.get_model(label, require_ready=False)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"ASSESSMENTS_RESPONDENT_MODEL must be of the form 'app_label.ModelName', not {label!r}."
        ) from exc
    except LookupError as exc:
        raise ImproperlyConfigured(
            f"ASSESSMENTS_RESPONDENT_MODEL refers to model {label!r}, which is not installed."
        ) from exc
