"""The per-account lockout: a cap on failed sign-ins for one username across all addresses.

django-axes pauses a username *and* address pair after five failures (``AXES_FAILURE_LIMIT``), so a
stranger elsewhere cannot lock a therapist out. On its own that lets a guesser rotate addresses; so
besides it, ``TANDEM_ACCOUNT_FAILURE_LIMIT`` failures (default 20) within ``TANDEM_ACCOUNT_FAILURE_WINDOW``
seconds (default an hour), from anywhere, lock the account itself: even the right password is refused
until an owner unlocks it (the admin's *Sign-in locks*, or ``python manage.py account_unlock NAME``) or
``TANDEM_ACCOUNT_LOCK_HOURS`` (default 24) pass. The practice's owners are emailed a link when it locks.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from practice.accounts.models import AccountLock
from practice.people import person_name

logger = logging.getLogger(__name__)


def _limit() -> int:
    return int(getattr(settings, "TANDEM_ACCOUNT_FAILURE_LIMIT", 20))


def _window() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "TANDEM_ACCOUNT_FAILURE_WINDOW", 60 * 60)))


def _lock_lasts() -> timedelta:
    return timedelta(hours=float(getattr(settings, "TANDEM_ACCOUNT_LOCK_HOURS", 24)))


def account_is_locked(username: str | None) -> bool:
    if not username:
        return False
    since = timezone.now() - _lock_lasts()
    return AccountLock.objects.filter(username=username, locked_at__gt=since).exists()


@transaction.atomic
def account_failure_record(*, username: str) -> bool:
    """Count one failed sign-in for ``username``; True when this failure locked the account."""
    now = timezone.now()
    AccountLock.objects.filter(locked_at__isnull=True, window_started_at__lt=now - _window()).delete()
    lock, _created = AccountLock.objects.select_for_update().get_or_create(
        username=username, defaults={"window_started_at": now}
    )
    if lock.locked_at is not None:
        if lock.locked_at > now - _lock_lasts():
            return False
        lock.locked_at, lock.failures, lock.window_started_at = None, 0, now  # an old lock ran out
    lock.failures += 1
    locked = lock.failures >= _limit()
    if locked:
        lock.locked_at = now
    lock.save()
    if locked:
        logger.warning("Account %s locked after %s failed sign-ins from any address", lock.pk, lock.failures)
        _tell_owners(lock)
    return locked


@transaction.atomic
def account_unlock(*, username: str) -> bool:
    """Lift an account's lock and forget its failures (and django-axes' for the username); True if it was locked."""
    from axes.models import AccessAttempt

    deleted, _ = AccountLock.objects.filter(username=username).delete()
    AccessAttempt.objects.filter(username=username).delete()
    return bool(deleted)


def _tell_owners(lock: AccountLock) -> None:
    """Email each owner of the locked person's practices a link to the lock, and nothing else about it."""
    from practice.mail import emails
    from practice.mail.models import EmailKind
    from practice.models import Membership, Role

    user = get_user_model()._default_manager.filter(username=lock.username).first()
    if user is None:
        return  # a username nobody has: locked all the same, nobody to tell
    url = settings.TANDEM_SITE_URL + reverse("admin:accounts_accountlock_change", args=[lock.pk])
    practices = Membership.objects.filter(user=user).values("practice_id")
    owners = Membership.objects.filter(practice_id__in=practices, role=Role.OWNER).select_related("user", "practice")
    for owner in owners:
        if not owner.user.email:
            continue
        emails.queue(
            "accounts/email/account_locked",
            practice=owner.practice,
            to=owner.user.email,
            key=f"account-lock:{lock.pk}:{lock.locked_at.timestamp():.0f}:{owner.pk}",
            kind=EmailKind.NOTIFICATION,
            context={
                "recipient_name": owner.user.get_short_name() or owner.user.get_username(),
                "person": person_name(user),
                "failures": lock.failures,
                "admin_url": url,
            },
        )


class AccountLockHandler(AxesDatabaseHandler):
    """django-axes' database handler, plus the per-account cap (``AXES_HANDLER`` names this class)."""

    def is_locked(self, request, credentials: dict | None = None) -> bool:
        if account_is_locked(get_client_username(request, credentials)):
            request.tandem_account_locked = True
            return True
        locked = super().is_locked(request, credentials)
        if locked:
            request.tandem_pair_locked = True  # refused before any password was tried
        return locked

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs) -> None:
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is None:
            return
        username = get_client_username(request, credentials)
        # Attempts django-axes refused unchecked (a paused username + address) count nothing here, so one
        # address alone cannot lock an account: it takes failures from several.
        if not username or getattr(request, "tandem_pair_locked", False):
            return
        if account_failure_record(username=username) or getattr(request, "tandem_account_locked", False):
            request.axes_locked_out = True
            request.axes_credentials = credentials
            request.tandem_account_locked = True
