"""Views of the practice base: the health check and what every public page of every app shares."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """For load balancers: 200 when the database answers, 503 when it does not."""
    try:
        connection.ensure_connection()
    except Exception:
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


# Every public page answers with ``Cache-Control: no-store`` and ``Referrer-Policy: no-referrer`` (links are
# capabilities), loads nothing third-party and shows nothing that differs between known and unknown addresses.


def public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark every response of a public view as private, unindexed and referrer-free."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = "no-referrer"
        response["X-Robots-Tag"] = "noindex"
        return response

    return wrapped


def capability_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A public page reached through a token in its URL, whose POST needs no CSRF token.

    The token is the capability: a forged cross-site POST would need it. And these pages send
    ``Referrer-Policy: no-referrer``, under which browsers post ``Origin: null``, which Django's
    CSRF check refuses, so the check would stop only real people.
    """
    return csrf_exempt(public_page(view))


def not_found(request: HttpRequest) -> HttpResponse:
    """The one answer to a bad, expired or tampered link or an unknown practice: calm, and revealing nothing."""
    return render(request, "practice/public/not_found.html", status=404)
