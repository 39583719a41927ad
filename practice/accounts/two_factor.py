"""Two-factor sign-in for staff: TOTP (an authenticator app) with single-use backup codes, via django-otp.

After the password (the admin's own login page, guarded by django-axes), a staff session is not
*verified* until it gives a code. While ``TANDEM_REQUIRE_2FA`` is on, ``RequireTwoFactorMiddleware``
sends an unverified staff session to ``verify`` (or to ``setup`` on first sign-in) from every page
except these pages, logging out and the public pages. Enrolling needs an emailed one-time link
(``practice.accounts.enrolment``), so a password alone never adds a second factor. Resetting a lost phone:
an owner with superuser rights deletes the person's TOTP device in the admin, and they enrol again.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from functools import wraps
from typing import Any

import segno
from django import forms
from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from practice.accounts import enrolment

BACKUP_CODE_COUNT = 10
#: Session key holding freshly made backup codes until they have been shown once.
NEW_BACKUP_CODES = "tandem_new_backup_codes"
#: URL namespaces an unverified staff session may still reach: these pages and the public link pages.
OPEN_NAMESPACES = frozenset({"two_factor", "newsletter"})
OPEN_VIEW_NAMES = frozenset({"admin:login", "admin:logout", "health"})


def safe_next(request: HttpRequest, fallback: str | None = None) -> str:
    """The ``next`` parameter if it is a path on this site, else ``fallback`` (the admin index)."""
    candidate = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME) or ""
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback or reverse("admin:index")


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({REDIRECT_FIELD_NAME: next_url})}"


def requires_verification(user) -> bool:
    """True for a signed-in staff user whose session has not given a second factor, while it is required."""
    if not getattr(settings, "TANDEM_REQUIRE_2FA", False):
        return False
    if not (user.is_authenticated and user.is_staff):
        return False
    is_verified = getattr(user, "is_verified", None)
    return not (is_verified and is_verified())


class RequireTwoFactorMiddleware:
    """Refuse an unverified staff session everywhere but the open pages (fails closed: new pages are covered).

    A page load is redirected to verification with ``next`` kept; anything else (a POST, the API) gets 403.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        if not requires_verification(request.user):
            return None
        match = request.resolver_match
        if match is not None and (match.namespace in OPEN_NAMESPACES or match.view_name in OPEN_VIEW_NAMES):
            return None
        is_api = match is not None and match.namespaces[:1] == ["api"]
        if request.method in ("GET", "HEAD") and not is_api:
            return redirect(_with_next(reverse("two_factor:verify"), request.get_full_path()))
        message = _("Two-factor verification is required.")
        if is_api:
            return JsonResponse({"detail": str(message)}, status=403)
        return HttpResponseForbidden(message, content_type="text/plain")


def _staff_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed-in staff only; anyone else goes to the admin login, ``next`` kept."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not (request.user.is_authenticated and request.user.is_staff):
            return redirect(_with_next(reverse("admin:login"), request.get_full_path()))
        return view(request, *args, **kwargs)

    return never_cache(sensitive_post_parameters("token")(wrapped))


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}),
    )

    def clean_token(self) -> str:
        return "".join(self.cleaned_data["token"].split()).lower()


def _page_context(request: HttpRequest, title: str, **extra: Any) -> dict[str, Any]:
    """What the admin's base templates need, without the app list (nothing shows before verification)."""
    from django.contrib import admin

    return {
        "site_header": admin.site.site_header,
        "site_title": admin.site.site_title,
        "site_url": admin.site.site_url,
        "has_permission": False,
        "is_nav_sidebar_enabled": False,
        "title": title,
        "next": safe_next(request),
        **extra,
    }


def _confirmed_totp(user) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def _new_backup_codes(user) -> list[str]:
    """Replace the user's backup codes with a fresh set and return them (shown once, stored as given)."""
    device, _created = StaticDevice.objects.get_or_create(user=user, name="Backup codes", defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def _throttled(devices: list) -> bool:
    """Whether django-otp's throttling (a wait that doubles with each wrong code) refuses a code now.

    Asked before the attempt: the attempt itself, if wrong, starts a wait, and that one wrong code must
    read as wrong, not as one too many.
    """
    return any(not device.verify_is_allowed()[0] for device in devices)


def _wrong_code_message(throttled: bool) -> str:
    if throttled:
        return _("Too many wrong codes. Wait a little, then try the current code.")
    return _("That code did not work. Codes change every 30 seconds; check the phone's clock and try the current one.")


def _verified(request: HttpRequest, device) -> None:
    request.session.cycle_key()
    otp_login(request, device)


@_staff_only
@require_http_methods(["GET", "HEAD", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Ask for a code from the authenticator app or a backup code; first sign-in goes to ``setup``."""
    totp = _confirmed_totp(request.user)
    if totp is None:
        return redirect(_with_next(reverse("two_factor:setup"), safe_next(request)))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"]
        is_app_code = token.isdigit() and len(token) == totp.digits
        candidates = [totp] if is_app_code else list(StaticDevice.objects.devices_for_user(request.user))
        throttled = _throttled(candidates)
        for device in candidates:
            matched = verify_token(request.user, device.persistent_id, token)
            if matched is not None:
                _verified(request, matched)
                return redirect(safe_next(request))
        form.add_error("token", _wrong_code_message(throttled))
    return render(
        request, "registration/two_factor_verify.html", _page_context(request, _("Two-factor sign-in"), form=form)
    )


@_staff_only
@require_http_methods(["GET", "HEAD", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: show its key (and a QR code), then confirm with a first code.

    Only for someone with no confirmed device, and only in a session that opened an enrolment link from
    the account's email: a password alone never adds a second factor.
    """
    if _confirmed_totp(request.user) is not None:
        return redirect(_with_next(reverse("two_factor:verify"), safe_next(request)))
    link = enrolment.session_may_enrol(request)
    if link is None:
        return _enrolment_needed(request, status=403 if request.method == "POST" else 200)
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name="Authenticator app", confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        throttled = _throttled([device])
        with transaction.atomic():
            if verify_token(request.user, device.persistent_id, form.cleaned_data["token"]) is not None:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                enrolment.enrolment_done(request, link)
                TOTPDevice.objects.filter(user=request.user, confirmed=False).delete()
                request.session[NEW_BACKUP_CODES] = _new_backup_codes(request.user)
                _verified(request, device)
                return redirect(_with_next(reverse("two_factor:backup_codes"), safe_next(request)))
        form.add_error("token", _wrong_code_message(throttled))
    uri = device.config_url
    qr_svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff", title=str(_("QR code")))
    key = base64.b32encode(device.bin_key).decode("ascii")
    context = _page_context(
        request,
        _("Set up two-factor sign-in"),
        form=form,
        qr_svg=mark_safe(qr_svg),  # noqa: S308 - made here by segno from our own URI; no user input
        key=" ".join(key[i : i + 4] for i in range(0, len(key), 4)),
        otpauth_uri=uri,
    )
    return render(request, "registration/two_factor_setup.html", context)


def _enrolment_needed(request: HttpRequest, *, sent: bool = False, status: int = 200) -> HttpResponse:
    context = _page_context(request, _("Set up two-factor sign-in"), sent=sent, has_email=bool(request.user.email))
    return render(request, "registration/two_factor_enrolment_needed.html", context, status=status)


@_staff_only
@require_http_methods(["POST"])
def enrolment_request(request: HttpRequest) -> HttpResponse:
    """Email the account a one-time enrolment link (earlier ones stop working)."""
    if _confirmed_totp(request.user) is not None:
        return redirect(_with_next(reverse("two_factor:verify"), safe_next(request)))
    _link, printed = enrolment.enrolment_link_issue(user=request.user)
    if printed:  # no practice to send from: only someone with the server can help (enrolment_link NAME)
        return _enrolment_needed(request, status=200)
    return _enrolment_needed(request, sent=True)


@_staff_only
@require_http_methods(["GET", "HEAD"])
def enrol(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link: remember it in this session (signed in as its account) and go on to enrol."""
    link = enrolment.enrolment_link_open(raw=token, user=request.user)
    if link is None or _confirmed_totp(request.user) is not None:
        context = _page_context(request, _("This link does not work"))
        response = render(request, "registration/two_factor_enrolment_link_unknown.html", context, status=404)
    else:
        request.session[enrolment.SESSION_KEY] = link.pk
        response = redirect(reverse("two_factor:setup"))
    response["Referrer-Policy"] = "no-referrer"
    return response


@_staff_only
@require_http_methods(["GET", "HEAD", "POST"])
def backup_codes(request: HttpRequest) -> HttpResponse:
    """Show new backup codes once; a verified session may make a new set (the old ones stop working)."""
    if requires_verification(request.user):
        return redirect(_with_next(reverse("two_factor:verify"), request.get_full_path()))
    if request.method == "POST":
        if not request.user.is_verified():
            return HttpResponseForbidden(_("Verify with a code first."), content_type="text/plain")
        request.session[NEW_BACKUP_CODES] = _new_backup_codes(request.user)
        return redirect(_with_next(reverse("two_factor:backup_codes"), safe_next(request)))
    codes = request.session.pop(NEW_BACKUP_CODES, None)
    context = _page_context(request, _("Backup codes"), codes=codes)
    return render(request, "registration/two_factor_backup_codes.html", context)


app_name = "two_factor"
urlpatterns = [
    path("", verify, name="verify"),
    path("setup/", setup, name="setup"),
    path("setup/email/", enrolment_request, name="enrolment_request"),
    path("enrol/<str:token>/", enrol, name="enrol"),
    path("backup-codes/", backup_codes, name="backup_codes"),
]
