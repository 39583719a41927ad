"""A username's failed sign-ins across every address and the lock they end in; staff members' API tokens."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from practice.managers import _is_signed_in, practice_ids_for


class AccountLockQuerySet(models.QuerySet):
    def for_user(self, user) -> AccountLockQuerySet:
        """Owners see the locks of their practices' staff; superusers all; nobody else any."""
        if not _is_signed_in(user):
            return self.none()
        if user.is_superuser:
            return self.all()
        from django.contrib.auth import get_user_model

        staff = get_user_model()._default_manager.filter(
            practice_memberships__practice_id__in=practice_ids_for(user, owner_only=True)
        )
        return self.filter(Q(username__in=staff.values("username")))

    def locked(self) -> AccountLockQuerySet:
        return self.filter(locked_at__isnull=False)


class AccountLock(models.Model):
    """Failed sign-ins for one username from anywhere in the current window; ``locked_at`` once over the cap.

    django-axes counts per username *and* address; this counts per username alone, so rotating addresses
    (or forging ``X-Forwarded-For`` where the web process is reachable directly) cannot dodge the lockout.
    """

    username = models.CharField(_("username"), max_length=255, unique=True)
    failures = models.PositiveIntegerField(_("failed sign-ins"), default=0)
    window_started_at = models.DateTimeField(_("counting since"))
    locked_at = models.DateTimeField(_("locked"), null=True, blank=True)

    objects = AccountLockQuerySet.as_manager()

    class Meta:
        ordering = ["-locked_at", "username"]
        verbose_name = _("sign-in lock")
        verbose_name_plural = _("sign-in locks")

    def __str__(self) -> str:
        return self.username


class ApiTokenQuerySet(models.QuerySet):
    def usable(self) -> ApiTokenQuerySet:
        from django.utils import timezone

        return self.filter(expires_at__gt=timezone.now(), user__is_active=True)


class ApiToken(models.Model):
    """A staff member's key for the API (``Authorization: Token …``): only its SHA-256 is kept, and it expires.

    Made, listed and revoked by its owner on the *API tokens* page (``practice.accounts.tokens``), which needs
    a session that gave its second factor; the key is shown once, when it is made.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("What uses it, e.g. “booking site”."))
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("starts with"), max_length=12, editable=False)
    created_at = models.DateTimeField(_("made"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class EnrolmentLinkQuerySet(models.QuerySet):
    def for_user(self, user) -> EnrolmentLinkQuerySet:
        """Owners see the links of their practices' staff; superusers all; nobody else any."""
        if not _is_signed_in(user):
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(user__practice_memberships__practice_id__in=practice_ids_for(user, owner_only=True))


class EnrolmentLink(models.Model):
    """A one-time link that lets an account with no second factor enrol one: emailed to the account's own
    address (its key minted as the email goes, so no stored email holds it), kept as a hash, valid a day."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolment_links", verbose_name=_("user")
    )
    # Unset until the email goes (NULLs never clash under unique, where empty strings would).
    token_hash = models.CharField(max_length=64, unique=True, null=True, editable=False)  # noqa: DJ001
    created_at = models.DateTimeField(_("made"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )

    objects = EnrolmentLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("enrolment link")
        verbose_name_plural = _("enrolment links")

    def __str__(self) -> str:
        return f"{self.user} ({self.created_at:%Y-%m-%d})"
