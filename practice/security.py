"""Site armour: the Permissions-Policy header, session lifetimes, and the address lockouts count by.

The Content-Security-Policy comes from django-csp and the other headers from Django's
SecurityMiddleware; both leave a header a view has already set (the link pages' own
``Referrer-Policy: no-referrer``) alone, and so does this module.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

#: Session keys: when this session signed in, and when it was last used (seconds since the epoch).
SIGNED_IN_AT = "tandem_signed_in_at"
SEEN_AT = "tandem_seen_at"


class PermissionsPolicyMiddleware:
    """Add ``Permissions-Policy`` (``settings.TANDEM_PERMISSIONS_POLICY``) unless the view set one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "TANDEM_PERMISSIONS_POLICY", "")
        if policy:
            response.headers.setdefault("Permissions-Policy", policy)
        return response


class RefuseNulInQueryMiddleware:
    """Answer 400 to a query string holding a NUL character (``%00``), before any view reads it.

    No column stores one, and PostgreSQL refuses any query that compares text with it, so an admin
    search box or list filter given one would otherwise fail deep inside the database with a 500. The
    API (``TANDEM_API_PREFIX``) is left to answer for itself: its filters check every parameter and say
    what is wrong in JSON, as its schema documents.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.api_prefix = getattr(settings, "TANDEM_API_PREFIX", "/api/")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        if ("%00" in query or "\x00" in query) and not request.path_info.startswith(self.api_prefix):
            raise BadRequest("A NUL character in the query string.")
        return self.get_response(request)


class SessionLifetimeMiddleware:
    """Sign out a session idle for ``TANDEM_SESSION_IDLE_SECONDS`` or older than ``TANDEM_SESSION_ABSOLUTE_SECONDS``.

    The session is saved on every request (``SESSION_SAVE_EVERY_REQUEST``) with a cookie age of the
    idle limit, so the store itself forgets an idle session; the sign-in time kept in the session
    adds the absolute limit, which a sliding cookie cannot give. An expired request goes on as
    anonymous, so the admin asks for a sign-in as usual.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and self._expired(request.session):
            logout(request)
        response = self.get_response(request)
        if request.user.is_authenticated:
            self._stamp(request.session)
        return response

    @staticmethod
    def _expired(session) -> bool:
        now = time.time()
        signed_in_at = session.get(SIGNED_IN_AT)
        seen_at = session.get(SEEN_AT)
        too_old = signed_in_at is not None and now - signed_in_at > settings.TANDEM_SESSION_ABSOLUTE_SECONDS
        too_idle = seen_at is not None and now - seen_at > settings.TANDEM_SESSION_IDLE_SECONDS
        return too_old or too_idle

    @staticmethod
    def _stamp(session) -> None:
        now = time.time()
        session.setdefault(SIGNED_IN_AT, now)
        session[SEEN_AT] = now


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address, the one every lockout and rate limit counts by.

    The socket's address, or behind ``TANDEM_PROXY_COUNT`` trusted proxies the entry the outermost of
    them appended to ``X-Forwarded-For``, read from the right (the proxies' side), so an entry the client
    wrote itself is never the one taken. Anything that is not an IP address falls back to the socket's,
    so a forged header cannot break what stores the address (django-axes keeps it in an address column).
    """
    proxies = getattr(settings, "TANDEM_PROXY_COUNT", 0)
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            candidate = _ip_or_none(forwarded[-proxies])
            if candidate is not None:
                return candidate
    return _ip_or_none(request.META.get("REMOTE_ADDR") or "")


def _ip_or_none(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip().strip("[]")))
    except ValueError:
        return None


#: django-axes stores the username in a 255-character column.
LOCKOUT_USERNAME_LENGTH = 255


def lockout_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """The username lockouts count by, cut to what django-axes can store.

    Django's login form lets any length through to ``authenticate`` (only the widget has a maxlength),
    and django-axes would then fail to record the attempt on PostgreSQL: a 500 instead of a refusal.
    """
    field = settings.AXES_USERNAME_FORM_FIELD
    source = credentials if credentials else request.POST
    username = source.get(field) if source else None
    if username is None:
        return None
    return str(username).replace("\x00", "")[:LOCKOUT_USERNAME_LENGTH]


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """django-axes' answer to a locked-out username+address (a calm page saying how long to wait), or to an
    account locked from everywhere (``practice.accounts.lockout``: ask an owner); 429 either way."""
    from axes.helpers import get_cool_off
    from django.contrib import admin

    cool_off = get_cool_off(request)
    context = {
        "site_header": admin.site.site_header,
        "site_title": admin.site.site_title,
        "site_url": admin.site.site_url,
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "minutes": int(cool_off.total_seconds() // 60) if cool_off else None,
        "account_locked": getattr(request, "tandem_account_locked", False),
    }
    return render(request, "registration/lockout.html", context, status=429)
