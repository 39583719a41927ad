"""Rate limits per client on the public pages and the sign-in steps, answered with 429 and ``Retry-After``.

Why django-ratelimit: Tandem's own limits and the questionnaire engine's (``assessments.views``) must
count the same way, but ``assessments`` may import nothing of ours and ``practice`` nothing above it, so
a helper of our own could live in neither. A well-kept library both may use is the one limiter; each
side names the client by the same function (``practice.security.client_ip``, which honours
``TANDEM_PROXY_COUNT``), given to the engine through ``ASSESSMENTS_CLIENT_ADDRESS``. Only its counter
(``get_usage``) is used, not its app: its system checks refuse the cache the embedded defaults run on.

Rates are ``"<count>/<period>"`` (``"10/10m"``: ten per ten minutes; periods ``s``, ``m``, ``h``, ``d``),
per group, in ``TANDEM_RATE_LIMITS``; a group set to None is not limited. Counts live in the default
cache, so in production (several web processes) it must be Redis (``REDIS_URL``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_ratelimit.core import get_usage

from practice.security import client_ip

#: The groups and their rates when ``TANDEM_RATE_LIMITS`` does not name them.
DEFAULT_RATES: dict[str, str | None] = {
    "newsletter-subscribe": "10/10m",  # subscription attempts (POSTs)
    "newsletter-links": "120/10m",  # confirm, unsubscribe and preferences pages, any method
    "sign-in": "30/10m",  # password attempts (POSTs to the admin's login page)
    "two-factor": "30/10m",  # codes (POSTs to the verification and enrolment pages)
}

#: The views the middleware limits: view name -> (group, methods counted).
LIMITED_VIEWS: dict[str, tuple[str, tuple[str, ...]]] = {
    "admin:login": ("sign-in", ("POST",)),
    "two_factor:verify": ("two-factor", ("POST",)),
    "two_factor:setup": ("two-factor", ("POST",)),
    "two_factor:enrol": ("two-factor", ("GET", "HEAD", "POST")),
    "two_factor:enrolment_request": ("two-factor", ("POST",)),
}


def rate_for(group: str) -> str | None:
    rates = {**DEFAULT_RATES, **getattr(settings, "TANDEM_RATE_LIMITS", {})}
    return rates.get(group)


def _client_key(group: str, request: HttpRequest) -> str:
    return client_ip(request) or "unknown"


def limited(request: HttpRequest, group: str) -> int | None:
    """Count this request against its client in ``group``: the seconds to wait once over the rate, else None."""
    rate = rate_for(group)
    if not rate:
        return None
    usage = get_usage(request, group=f"tandem:{group}", key=_client_key, rate=rate, increment=True)
    if usage is None or not usage["should_limit"]:
        return None
    return max(int(usage["time_left"]), 1)


def too_many(request: HttpRequest, retry_after: int, template: str, context: dict | None = None) -> HttpResponse:
    """The calm 429 page, with ``Retry-After`` in seconds."""
    minutes = max(1, -(-retry_after // 60))
    response = render(request, template, {"minutes": minutes, **(context or {})}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def rate_limit(group: str, *, methods: Iterable[str] = ("GET", "HEAD", "POST"), template: str) -> Callable:
    """Decorate a view: requests with these ``methods`` count in ``group``; over the rate, ``template``
    answers 429 with ``Retry-After``, before the view reads anything."""
    counted = frozenset(method.upper() for method in methods)

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            wait = limited(request, group) if request.method in counted else None
            if wait is not None:
                return too_many(request, wait, template)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


class RateLimitMiddleware:
    """Limit the views in ``LIMITED_VIEWS`` (the admin's login page is Django's, so it cannot be decorated)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        match = request.resolver_match
        rule = LIMITED_VIEWS.get(match.view_name) if match is not None else None
        if rule is None or request.method not in rule[1]:
            return None
        wait = limited(request, rule[0])
        if wait is None:
            return None
        return too_many(request, wait, "registration/rate_limited.html", _admin_context())


def _admin_context() -> dict[str, Any]:
    from django.contrib import admin

    return {"site_header": admin.site.site_header, "site_title": admin.site.site_title, "site_url": "/"}
