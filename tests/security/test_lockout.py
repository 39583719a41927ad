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
