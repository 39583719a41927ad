"""Staff sessions end after 30 idle minutes and 12 hours after sign-in, whatever happens in between."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

ADMIN = reverse("admin:index")


def signed_in(client, user) -> None:
    response = client.post(reverse("admin:login"), {"username": user.username, "password": PASSWORD, "next": ADMIN})
    assert response.status_code == 302 and response["Location"] == ADMIN
    assert client.session["_auth_user_id"] == str(user.pk)


def test_thirty_idle_minutes_end_the_session(client, tess):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        signed_in(client, tess)
        clock.shift(timedelta(minutes=29))
        assert client.get(ADMIN).status_code == 200
        clock.shift(timedelta(minutes=29))  # activity keeps it alive
        assert client.get(ADMIN).status_code == 200
        clock.shift(timedelta(minutes=31))
        response = client.get(ADMIN)
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
        assert "_auth_user_id" not in client.session


def test_twelve_hours_end_the_session_however_busy(client, tess):
    from django.contrib.sessions.models import Session

    with time_machine.travel(timezone.now(), tick=False) as clock:
        signed_in(client, tess)
        key = client.cookies["sessionid"].value
        for _ in range(12 * 3 - 1):
            clock.shift(timedelta(minutes=20))
            assert client.get(ADMIN).status_code == 200
        clock.shift(timedelta(minutes=21))
        response = client.get(ADMIN)
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
        assert "_auth_user_id" not in client.session
        assert not Session.objects.filter(session_key=key).exists()


def test_the_cookie_is_secure_httponly_and_samesite_in_production(client, production, tess):
    response = client.post(
        reverse("admin:login"), {"username": "tess", "password": PASSWORD, "next": ADMIN}, secure=True
    )
    cookie = response.cookies["sessionid"]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == 30 * 60
    assert response.cookies["csrftoken"]["secure"]


def test_password_reset_links_last_an_hour(settings):
    assert settings.PASSWORD_RESET_TIMEOUT == 3600


def test_passwords_need_twelve_characters_and_django_validators(tess):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    for weak in ("short-pw", "123456789012", "password1234", "tess@example.org"):
        with pytest.raises(ValidationError):
            validate_password(weak, user=tess)
    validate_password("a-long-unusual-harbour-phrase", user=tess)
