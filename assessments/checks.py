"""System checks: a wrong respondent or owner model is reported at start-up, not at the first questionnaire."""

from __future__ import annotations

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from assessments.app_settings import get_owner_model, get_respondent_model


@checks.register(checks.Tags.models)
def respondent_model_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    try:
        get_respondent_model()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="assessments.E001")]
    return []


@checks.register(checks.Tags.models)
def owner_model_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    try:
        get_owner_model()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="assessments.E002")]
    return []
