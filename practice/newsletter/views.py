"""The public newsletter pages: subscribe, confirm, unsubscribe and preferences.

Every page answers with ``Cache-Control: no-store`` and ``Referrer-Policy: no-referrer`` (links are
capabilities), loads nothing third-party and shows nothing that differs between known and unknown addresses.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from practice.models import Practice
from practice.newsletter.forms import PreferencesForm, SubscribeForm
from practice.newsletter.models import Subscriber, SubscriberStatus
from practice.newsletter.subscriptions import (
    RECEIVING,
    absolute_url,
    consent_wording,
    preference_checkboxes,
    preferences_save,
    subscriber_confirm,
    subscriber_subscribe,
    subscriber_unsubscribe,
)
from practice.newsletter.tokens import read_confirm_token, read_unsubscribe_token
from practice.ratelimit import limited, rate_limit, too_many
from practice.views import capability_page, not_found, public_page

RATE_LIMITED = "newsletter/public/rate_limited.html"


def _practice_or_none(practice_id: int) -> Practice | None:
    return Practice.objects.filter(pk=practice_id).first()


def _subscriber_from(token: str, read: Callable[[str], int | None]) -> Subscriber | None:
    subscriber_id = read(token)
    if subscriber_id is None:
        return None
    return Subscriber.objects.select_related("practice").filter(pk=subscriber_id).first()


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
        wait = limited(request, "newsletter-subscribe")
        if wait is not None:
            return too_many(request, wait, RATE_LIMITED, {"practice": practice})
        thanks = redirect("newsletter:subscribe_thanks", practice_id=practice.pk)
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
    return render(request, "newsletter/public/subscribe.html", {"practice": practice, "form": form})


@public_page
@require_safe
def subscribe_thanks(request: HttpRequest, practice_id: int) -> HttpResponse:
    """The same page for every address: it carries nothing from the request."""
    practice = _practice_or_none(practice_id)
    if practice is None:
        return not_found(request)
    return render(request, "newsletter/public/subscribe_thanks.html", {"practice": practice})


@public_page
@require_safe
def embed(request: HttpRequest, practice_id: int) -> HttpResponse:
    """The subscribe form as HTML for the practice to paste into its website."""
    practice = _practice_or_none(practice_id)
    if practice is None:
        return not_found(request)
    snippet = render_to_string(
        "newsletter/public/embed_snippet.html",
        {
            "practice": practice,
            "action": absolute_url(reverse("newsletter:subscribe", args=[practice.pk])),
            "consent_text": consent_wording(practice),
        },
    ).strip()
    return render(request, "newsletter/public/embed.html", {"practice": practice, "snippet": snippet})


@capability_page
@rate_limit("newsletter-links", template=RATE_LIMITED)
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
        return render(request, "newsletter/public/confirmed.html", context)
    if subscriber.status == SubscriberStatus.CONFIRMED:
        return render(request, "newsletter/public/confirmed.html", context)
    return render(request, "newsletter/public/confirm.html", context)


@capability_page  # RFC 8058 one-click: the mail provider's POST has no cookies at all
@rate_limit("newsletter-links", template=RATE_LIMITED)
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
        return render(request, "newsletter/public/unsubscribed.html", context)
    return render(request, "newsletter/public/unsubscribe.html", context)


@capability_page
@rate_limit("newsletter-links", template=RATE_LIMITED)
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
    return render(request, "newsletter/public/preferences.html", context)
