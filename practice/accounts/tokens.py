"""API tokens: made by staff themselves, kept only as a hash, named, expiring, revocable.

The page (``/admin/api-tokens/``) needs a session that gave its second factor, whatever
``TANDEM_REQUIRE_2FA`` says: a token skips the second factor, so only a verified session may make one.
A new token is shown once; the database keeps its SHA-256 (a token has 256 random bits, so a fast hash
is enough) and its first characters, to tell tokens apart in the list.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from practice.accounts.models import ApiToken

PREFIX = "tdm_"
#: How often a token's "last used" is written, at most.
LAST_USED_EVERY = timedelta(minutes=5)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", errors="replace")).hexdigest()


def max_days() -> int:
    return int(getattr(settings, "TANDEM_API_TOKEN_MAX_DAYS", 365))


@transaction.atomic
def api_token_create(*, user, name: str, days: int) -> tuple[ApiToken, str]:
    """A new token for ``user``: the row, and the key itself (shown once, stored nowhere)."""
    days = max(1, min(int(days), max_days()))
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:100] or "API token",
        token_hash=token_hash(raw),
        prefix=raw[: len(PREFIX) + 4],
        expires_at=timezone.now() + timedelta(days=days),
    )
    return token, raw


class ApiTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>``, looked up by its hash; expired tokens and inactive users are refused (401),
    and the API's permission (``config.rest.IsStaff``) refuses anyone no longer staff (403)."""

    def authenticate_credentials(self, key: str):
        if len(key) > 200:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token = ApiToken.objects.usable().select_related("user").filter(token_hash=token_hash(key)).first()
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid or expired token."))
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token


# --- The page ---------------------------------------------------------------------------------------------


class NewTokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("What will use it, e.g. “booking site”."))
    days = forms.TypedChoiceField(
        label=_("Expires after"),
        coerce=int,
        initial=90,
        choices=[(7, _("a week")), (30, _("30 days")), (90, _("90 days")), (365, _("a year"))],
    )


def _page(request: HttpRequest, form: NewTokenForm, new_key: str = "", status: int = 200) -> HttpResponse:
    from django.contrib import admin

    context = {
        **admin.site.each_context(request),
        "title": _("API tokens"),
        "tokens": ApiToken.objects.filter(user=request.user).order_by("-created_at"),
        "form": form,
        "new_key": new_key,
        "now": timezone.now(),
    }
    response = render(request, "accounts/api_tokens.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    """List the signed-in person's tokens; make one (its key shown this once) or revoke one."""
    user = request.user
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return redirect(f"{reverse('admin:login')}?{urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})}")
    if not user.is_verified():
        return redirect(f"{reverse('two_factor:verify')}?{urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})}")
    if request.method == "POST" and "revoke" in request.POST:
        chosen = request.POST.get("revoke", "").strip()
        if chosen.isascii() and chosen.isdigit():
            ApiToken.objects.filter(user=user, pk=int(chosen)).delete()
        return redirect("api_tokens")
    form = NewTokenForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            _token, raw = api_token_create(user=user, name=form.cleaned_data["name"], days=form.cleaned_data["days"])
            return _page(request, NewTokenForm(), new_key=raw)
        return _page(request, form, status=400)
    return _page(request, form)


urlpatterns = [path("", api_tokens, name="api_tokens")]
