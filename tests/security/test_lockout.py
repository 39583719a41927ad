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


def test_five_failures_lock_the_username_from_that_address_with_a_clear_page(tess):
    here = Client(REMOTE_ADDR="203.0.113.5")
    fail_five_times(here, "tess")
    response = attempt(here, "tess", PASSWORD)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Signing in is paused" in page and "15 minutes" in page
    assert "_auth_user_id" not in here.session


def test_four_failures_do_not_lock(tess):
    here = Client(REMOTE_ADDR="203.0.113.5")
    for _ in range(4):
        attempt(here, "tess", "not-the-password")
    assert attempt(here, "tess", PASSWORD).status_code == 302


def test_a_stranger_elsewhere_cannot_lock_a_therapist_out(tess):
    fail_five_times(Client(REMOTE_ADDR="198.51.100.66"), "tess")
    assert attempt(Client(REMOTE_ADDR="203.0.113.5"), "tess", PASSWORD).status_code == 302


def test_the_lock_covers_only_that_username(tess, uma):
    here = Client(REMOTE_ADDR="203.0.113.5")
    fail_five_times(here, "tess")
    assert attempt(here, "uma", PASSWORD).status_code == 302


def test_signing_in_works_again_after_the_cool_off(tess):
    here = Client(REMOTE_ADDR="203.0.113.5")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        fail_five_times(here, "tess")
        clock.shift(timedelta(minutes=14))
        assert attempt(here, "tess", PASSWORD).status_code == 429
        clock.shift(timedelta(minutes=16))  # a failure during the lockout restarts the 15 minutes
        assert attempt(here, "tess", PASSWORD).status_code == 302


def test_behind_a_proxy_the_forwarded_address_counts(settings, tess):
    settings.TANDEM_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    fail_five_times(Client(HTTP_X_FORWARDED_FOR="198.51.100.66", **proxy), "tess")
    assert attempt(Client(HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy), "tess", PASSWORD).status_code == 302
    # a client cannot choose its address by writing its own X-Forwarded-For entry first
    forged = Client(HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.66", **proxy)
    assert attempt(forged, "tess", PASSWORD).status_code == 429


def test_a_very_long_username_is_refused_and_counted_not_a_server_error(tess):
    from axes.models import AccessAttempt

    here = Client(REMOTE_ADDR="203.0.113.5")
    response = attempt(here, "a" * 5000, "not-the-password")
    assert response.status_code == 200
    assert len(AccessAttempt.objects.get().username) == 255
