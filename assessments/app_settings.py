"""Settings of the assessments app, read lazily so ``override_settings`` works.

``ASSESSMENTS_RESPONDENT_MODEL``
    ``"app_label.ModelName"`` of whoever answers questionnaires (default: ``AUTH_USER_MODEL``).
    Like ``AUTH_USER_MODEL`` it must be set before the first migration and not changed after.

``ASSESSMENTS_CLIENT_ADDRESS``
    Dotted path of ``function(request) -> str | None``: the client's address, which the link pages' rate
    limit counts by (default: ``REMOTE_ADDR``). See ``client_address``.

``ASSESSMENTS_OWNER_MODEL``
    ``"app_label.ModelName"`` of whoever may own an instrument (Tandem: ``"practice.Practice"``; default:
    ``AUTH_USER_MODEL``). An instrument with no owner is in the library. Set it before migrating
    ``assessments.0006_instrument_owner`` and do not change it after.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string


def respondent_model_label() -> str:
    return getattr(settings, "ASSESSMENTS_RESPONDENT_MODEL", settings.AUTH_USER_MODEL)


def owner_model_label() -> str:
    return getattr(settings, "ASSESSMENTS_OWNER_MODEL", settings.AUTH_USER_MODEL)


def get_respondent_model():
    """The respondent model class, or ImproperlyConfigured saying what is wrong with the setting."""
    return _model("ASSESSMENTS_RESPONDENT_MODEL", respondent_model_label())


def get_owner_model():
    """The owner model class, or ImproperlyConfigured saying what is wrong with the setting."""
    return _model("ASSESSMENTS_OWNER_MODEL", owner_model_label())


def _model(setting: str, label: str):
    try:
        return apps.get_model(label, require_ready=False)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{setting} must be of the form 'app_label.ModelName', not {label!r}.") from exc
    except LookupError as exc:
        raise ImproperlyConfigured(f"{setting} refers to model {label!r}, which is not installed.") from exc


def _get(name: str, default):
    return getattr(settings, f"ASSESSMENTS_{name}", default)


def hooks_path() -> str:
    """``ASSESSMENTS_HOOKS``: dotted path of the host's hooks class (see ``assessments.hooks``)."""
    return str(_get("HOOKS", "assessments.hooks.DefaultHooks"))


def site_url() -> str:
    """``ASSESSMENTS_SITE_URL``: scheme and host that private links start with (no trailing slash)."""
    return str(_get("SITE_URL", getattr(settings, "TANDEM_SITE_URL", "http://localhost:8000"))).rstrip("/")


def reminder_policy() -> dict:
    """``ASSESSMENTS_REMINDERS``: when unfinished questionnaires are reminded.

    ``after_sent_days`` counts from the invitation, ``before_expiry_days`` back from the expiry;
    ``max`` caps the reminders per assignment. Default: 3 days after, 1 day before, at most 2.
    """
    policy = {"after_sent_days": [3], "before_expiry_days": [1], "max": 2}
    policy.update(_get("REMINDERS", {}))
    return policy


def link_rate_limit() -> tuple[int, int]:
    """``ASSESSMENTS_LINK_RATE_LIMIT``: (requests, seconds) per client address on the link pages and the link
    API together; 0 requests: no limit."""
    requests, seconds = _get("LINK_RATE_LIMIT", (120, 600))
    return int(requests), int(seconds)


def _remote_addr(request: Any) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


@cache
def _address_function(path: str) -> Callable[[Any], str | None]:
    return import_string(path) if path else _remote_addr


def client_address(request: Any) -> str | None:
    """The address link pages count requests by: ``ASSESSMENTS_CLIENT_ADDRESS``, the dotted path of a
    function taking the request (default: the socket's address, ``REMOTE_ADDR``). Behind a reverse proxy
    every client shares the proxy's address, so point it at a function that reads the proxy's
    ``X-Forwarded-For`` entry (Tandem: ``practice.security.client_ip``)."""
    return _address_function(str(_get("CLIENT_ADDRESS", "") or ""))(request)


def scores_visible_minutes() -> int:
    """How long after submitting a client may see released scores on the thank-you page."""
    return int(_get("SCORES_VISIBLE_MINUTES", 60))
