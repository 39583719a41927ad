"""Five wrong passwords for one username from one address pause that pair for 15 minutes (django-axes)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")


def attempt(client: Client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"})


def fail_five_times(client: Client, username: str) -> None:
    for _ in range(5):
        response = attempt(client, username, "not-the-password")
        assert response.status_code in (200, 429)


def assert_locked_out(response, client: Client) -> None:
    """The right password was refused with the lockout page, and nobody is signed in."""
    assert response.status_code == 429
    assert "registration/lockout.html" in [template.name for template in response.templates]
    assert "Signing in is paused" in response.content.decode()
    assert "_auth_user_id" not in client.session


def assert_signed_in(response, client: Client, user) -> None:
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.session["_auth_user_id"] == str(user.pk)


def failures(username: str, address: str) -> int:
    from axes.models import AccessAttempt

    attempt = AccessAttempt.objects.filter(username=username, ip_address=address).first()
    return attempt.failures_since_start if attempt else 0


def test_five_failures_lock_the_username_from_that_address_with_a_clear_page(tess):
    here = Client(REMOTE_ADDR="203.0.113.5")
    fail_five_times(here, "tess")
    assert failures("tess", "203.0.113.5") == 5
    response = attempt(here, "tess", PASSWORD)
    assert_locked_out(response, here)
    assert "15 minutes" in response.content.decode()


def test_four_failures_do_not_lock(tess):
    here = Client(REMOTE_ADDR="203.0.113.5")
    for _ in range(4):
        attempt(here, "tess", "not-the-password")
    assert failures("tess", "203.0.113.5") == 4  # counted, one short of the limit
    assert_signed_in(attempt(here, "tess", PASSWORD), here, tess)


def test_a_stranger_elsewhere_cannot_lock_a_therapist_out(tess):
    stranger = Client(REMOTE_ADDR="198.51.100.66")
    fail_five_times(stranger, "tess")
    assert_locked_out(attempt(stranger, "tess", PASSWORD), stranger)  # the stranger's address is locked...
    here = Client(REMOTE_ADDR="203.0.113.5")
    assert_signed_in(attempt(here, "tess", PASSWORD), here, tess)  # ...Tess's is not


def test_the_lock_covers_only_that_username(tess, uma):
    here = Client(REMOTE_ADDR="203.0.113.5")
    fail_five_times(here, "tess")
    assert_locked_out(attempt(here, "tess", PASSWORD), here)
    assert_signed_in(attempt(here, "uma", PASSWORD), here, uma)


def test_signing_in_works_again_after_the_cool_off(tess):
    here = Client(REMOTE_ADDR="203.0.113.5")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        fail_five_times(here, "tess")
        clock.shift(timedelta(minutes=14))
        assert_locked_out(attempt(here, "tess", PASSWORD), here)
        clock.shift(timedelta(minutes=16))  # a failure during the lockout restarts the 15 minutes
        assert_signed_in(attempt(here, "tess", PASSWORD), here, tess)


def test_behind_a_proxy_the_forwarded_address_counts(settings, tess):
    settings.TANDEM_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    fail_five_times(Client(HTTP_X_FORWARDED_FOR="198.51.100.66", **proxy), "tess")
    assert failures("tess", "198.51.100.66") == 5 and failures("tess", "10.0.0.2") == 0
    elsewhere = Client(HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy)
    assert_signed_in(attempt(elsewhere, "tess", PASSWORD), elsewhere, tess)
    # a client cannot choose its address by writing its own X-Forwarded-For entry first
    forged = Client(HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.66", **proxy)
    assert_locked_out(attempt(forged, "tess", PASSWORD), forged)


def test_a_very_long_username_is_refused_and_counted_not_a_server_error(tess):
    from axes.models import AccessAttempt

    here = Client(REMOTE_ADDR="203.0.113.5")
    response = attempt(here, "a" * 5000, "not-the-password")
    assert response.status_code == 200
    assert len(AccessAttempt.objects.get().username) == 255


# --- the cap per account, across addresses ------------------------------------------------------------------


def fail_from_many_addresses(username: str, count: int, *, proxied: bool = False) -> None:
    """``count`` wrong passwords, each from an address of its own (never five from one: axes stays quiet)."""
    for n in range(count):
        address = f"198.51.100.{n + 1}"
        here = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=address) if proxied else Client(REMOTE_ADDR=address)
        assert attempt(here, username, "not-the-password").status_code in (200, 429)


def test_rotating_addresses_still_locks_the_account_after_the_cap(settings, tess, uma):
    from practice.mail.models import OutboundEmail

    settings.TANDEM_ACCOUNT_FAILURE_LIMIT = 20
    fail_from_many_addresses("uma", 19)
    fresh = Client(REMOTE_ADDR="203.0.113.77")
    assert_signed_in(attempt(fresh, "uma", PASSWORD), fresh, uma)  # 19: not yet
    fail_from_many_addresses("uma", 20)
    fresh = Client(REMOTE_ADDR="203.0.113.78")
    response = attempt(fresh, "uma", PASSWORD)
    assert_locked_out(response, fresh)
    assert "the account is locked" in response.content.decode()
    # the owner is told, with a link and nothing else about the attempts
    told = OutboundEmail.objects.get(to_email=tess.email)
    assert "/admin/accounts/accountlock/" in told.body_text and "198.51.100" not in told.body_text
    assert not OutboundEmail.objects.filter(to_email=uma.email).exists()


def test_forged_forwarded_addresses_do_not_dodge_the_cap(settings, uma):
    settings.TANDEM_PROXY_COUNT = 1
    settings.TANDEM_ACCOUNT_FAILURE_LIMIT = 8
    fail_from_many_addresses("uma", 8, proxied=True)
    here = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert_locked_out(attempt(here, "uma", PASSWORD), here)


def test_an_owner_unlocks_the_account_in_the_admin(settings, tess, uma):
    from practice.accounts.models import AccountLock

    settings.TANDEM_ACCOUNT_FAILURE_LIMIT = 6
    fail_from_many_addresses("uma", 6)
    lock = AccountLock.objects.get(username="uma")
    owner = Client()
    owner.force_login(tess)
    assert "uma" in owner.get(reverse("admin:accounts_accountlock_changelist")).content.decode()
    response = owner.post(
        reverse("admin:accounts_accountlock_changelist"), {"action": "unlock", "_selected_action": [lock.pk]}
    )
    assert response.status_code == 302
    fresh = Client(REMOTE_ADDR="203.0.113.79")
    assert_signed_in(attempt(fresh, "uma", PASSWORD), fresh, uma)


def test_only_the_owners_of_the_practice_see_its_locks(settings, tess, uma, otto, make_staff, elsewhere):
    from practice.accounts.models import AccountLock
    from practice.models import Role

    settings.TANDEM_ACCOUNT_FAILURE_LIMIT = 3
    fail_from_many_addresses("uma", 3)
    lock = AccountLock.objects.get(username="uma")
    other_owner = make_staff("olive", elsewhere, Role.OWNER)
    for viewer, status in ((tess, 200), (other_owner, 404), (otto, 404), (uma, 404)):
        browser = Client()
        browser.force_login(viewer)
        assert browser.get(reverse("admin:accounts_accountlock_change", args=[lock.pk])).status_code == status
    therapist = Client()
    therapist.force_login(uma)
    assert therapist.get(reverse("admin:accounts_accountlock_changelist")).status_code == 403


def test_the_command_unlocks_and_the_lock_ends_by_itself_after_a_day(settings, uma):
    from django.core.management import call_command

    settings.TANDEM_ACCOUNT_FAILURE_LIMIT = 3
    with time_machine.travel(timezone.now(), tick=False) as clock:
        fail_from_many_addresses("uma", 3)
        fresh = Client(REMOTE_ADDR="203.0.113.80")
        assert_locked_out(attempt(fresh, "uma", PASSWORD), fresh)
        clock.shift(timedelta(hours=25))
        assert_signed_in(attempt(fresh, "uma", PASSWORD), fresh, uma)
    fail_from_many_addresses("uma", 3)
    call_command("account_unlock", "uma", verbosity=0)
    fresh = Client(REMOTE_ADDR="203.0.113.81")
    assert_signed_in(attempt(fresh, "uma", PASSWORD), fresh, uma)


def test_one_address_hammering_cannot_lock_the_account_for_everyone(settings, uma):
    settings.TANDEM_ACCOUNT_FAILURE_LIMIT = 20
    stranger = Client(REMOTE_ADDR="198.51.100.66")
    for _ in range(25):  # beyond the cap, within the address's sign-in rate limit (30 in ten minutes)
        attempt(stranger, "uma", "not-the-password")  # paused after five; the rest are refused unchecked
    assert_locked_out(attempt(stranger, "uma", PASSWORD), stranger)
    here = Client(REMOTE_ADDR="203.0.113.5")
    assert_signed_in(attempt(here, "uma", PASSWORD), here, uma)
