"""Views of the practice app: the health check and the public newsletter pages."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_safe

from practice.forms import PreferencesForm, SubscribeForm
from practice.models import Practice, Subscriber, SubscriberStatus
from practice.subscriptions import (
    RECEIVING,
    absolute_url,
    consent_wording,
    preference_checkboxes,
    preferences_save,
    subscriber_confirm,
    subscriber_subscribe,
    subscriber_unsubscribe,
)
from practice.tokens import read_confirm_token, read_unsubscribe_token


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """For load balancers: 200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


# --- Public newsletter pages ----------------------------------------------------------------------------------
# Every page answers with ``Cache-Control: no-store`` and ``Referrer-Policy: no-referrer`` (links are
# capabilities), loads nothing third-party and shows nothing that differs between known and unknown addresses.

#: Subscription attempts (POSTs) one IP address may make per window before it is asked to wait.
SUBSCRIBE_RATE_LIMIT = 10
SUBSCRIBE_RATE_WINDOW_SECONDS = 10 * 60


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


def _practice_or_none(practice_id: int) -> Practice | None:
    return Practice.objects.filter(pk=practice_id).first()


def _subscriber_from(token: str, read: Callable[[str], int | None]) -> Subscriber | None:
    subscriber_id = read(token)
    if subscriber_id is None:
        return None
    return Subscriber.objects.select_related("practice").filter(pk=subscriber_id).first()


def _rate_limited(request: HttpRequest) -> bool:
    """Count this POST against the caller's IP address; True once it is over the limit for the window."""
    address = request.META.get("REMOTE_ADDR", "") or "unknown"
    key = "practice:subscribe:rate:" + hashlib.sha256(address.encode()).hexdigest()[:32]
    cache.add(key, 0, timeout=SUBSCRIBE_RATE_WINDOW_SECONDS)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=SUBSCRIBE_RATE_WINDOW_SECONDS)
        used = 1
    return used > SUBSCRIBE_RATE_LIMIT


@csrf_exempt
@public_page
@require_http_methods(["GET", "HEAD", "POST"])
def subscribe(request: HttpRequest, practice_id: int) -> HttpResponse:
    """The subscribe form. CSRF-exempt because the embeddable copy posts from the practice's own website;
    double opt-in, the honeypot and the rate limit are what stop abuse. Every accepted POST, whoever the
    address belongs to, gets the same redirect, so the answer tells nobody whether an address is known.
    """
    practice = _practice_or_none(practice_id)
    if practice is None:
        return not_found(request)
    if request.method == "POST":
        if _rate_limited(request):
            return render(request, "practice/public/rate_limited.html", {"practice": practice}, status=429)
        thanks = redirect("practice:subscribe_thanks", practice_id=practice.pk)
        thanks.status_code = 303
        if SubscribeForm.is_from_a_robot(request.POST):
            return thanks
        form = SubscribeForm(request.POST, practice=practice)
        if form.is_valid():
            subscriber_subscribe(
                practice=practice,
                email=form.cleaned_data["email"],
                name=form.cleaned_data["name"],
                consent_text=form.consent_text,
                source=SubscribeForm.source(request.POST),
            )
            return thanks
    else:
        form = SubscribeForm(practice=practice)
    return render(request, "practice/public/subscribe.html", {"practice": practice, "form": form})


@public_page
@require_safe
def subscribe_thanks(request: HttpRequest, practice_id: int) -> HttpResponse:
    """The same page for every address: it carries nothing from the request."""
    practice = _practice_or_none(practice_id)
    if practice is None:
        return not_found(request)
    return render(request, "practice/public/subscribe_thanks.html", {"practice": practice})


@public_page
@require_safe
def embed(request: HttpRequest, practice_id: int) -> HttpResponse:
    """The subscribe form as HTML for the practice to paste into its website."""
    practice = _practice_or_none(practice_id)
    if practice is None:
        return not_found(request)
    snippet = render_to_string(
        "practice/public/embed_snippet.html",
        {
            "practice": practice,
            "action": absolute_url(reverse("practice:subscribe", args=[practice.pk])),
            "consent_text": consent_wording(practice),
        },
    ).strip()
    return render(request, "practice/public/embed.html", {"practice": practice, "snippet": snippet})


@capability_page
@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET only shows a button (mail scanners fetch links); the POST confirms."""
    subscriber = _subscriber_from(token, read_confirm_token)
    if subscriber is None or subscriber.status not in RECEIVING:
        return not_found(request)
    context = {"practice": subscriber.practice}
    if request.method == "POST":
        if not subscriber_confirm(subscriber=subscriber):
            return not_found(request)
        return render(request, "practice/public/confirmed.html", context)
    if subscriber.status == SubscriberStatus.CONFIRMED:
        return render(request, "practice/public/confirmed.html", context)
    return render(request, "practice/public/confirm.html", context)


@capability_page  # RFC 8058 one-click: the mail provider's POST has no cookies at all
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button and changes nothing; any POST unsubscribes and answers 200 in place.

    RFC 8058 one-click: mail providers POST ``List-Unsubscribe=One-Click`` with no cookies and no CSRF
    token and do not follow redirects, so this view is CSRF-exempt, uses no session and never redirects.
    """
    subscriber = _subscriber_from(token, read_unsubscribe_token)
    if subscriber is None:
        return not_found(request)
    context = {"practice": subscriber.practice, "preferences_token": token}
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        subscriber_unsubscribe(subscriber=subscriber, source="one-click" if one_click else "unsubscribe page")
        return render(request, "practice/public/unsubscribed.html", context)
    return render(request, "practice/public/unsubscribe.html", context)


@capability_page
@require_http_methods(["GET", "HEAD", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    """What the address receives from the practice, with a box per choice (see ``PREFERENCE_PROVIDERS``)."""
    subscriber = _subscriber_from(token, read_unsubscribe_token)
    if subscriber is None:
        return not_found(request)
    saved = False
    form = PreferencesForm(checkboxes=preference_checkboxes(subscriber=subscriber))
    if request.method == "POST":
        posted = PreferencesForm(request.POST, checkboxes=preference_checkboxes(subscriber=subscriber))
        if posted.is_valid():
            preferences_save(subscriber=subscriber, ticked=posted.ticked())
            subscriber.refresh_from_db()
            saved = True
            form = PreferencesForm(checkboxes=preference_checkboxes(subscriber=subscriber))
        else:
            form = posted
    context = {
        "practice": subscriber.practice,
        "form": form,
        "saved": saved,
        "receiving_newsletter": subscriber.status in RECEIVING,
    }
    return render(request, "practice/public/preferences.html", context)
