"""API tokens: made by staff themselves on a page that needs the second factor, shown once, stored as a hash,
named, expiring and revocable."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from practice.accounts.models import ApiToken
from practice.accounts.tokens import api_token_create, token_hash

pytestmark = pytest.mark.django_db

PAGE = reverse("api_tokens")


def verified(user) -> Client:
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    browser = Client()
    browser.force_login(user)
    code = f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}"
    assert browser.post(reverse("two_factor:verify"), {"token": code}).status_code == 302
    return browser


def call_api(raw: str):
    return Client().get("/api/v1/clients/", HTTP_AUTHORIZATION=f"Token {raw}")


def test_a_verified_session_makes_a_token_that_is_shown_once_and_stored_as_a_hash(uma):
    browser = verified(uma)
    page = browser.post(PAGE, {"name": "booking site", "days": "30"})
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    raw = re.search(r'<code id="new-token">([^<]+)</code>', page.content.decode()).group(1)
    token = ApiToken.objects.get(user=uma)
    assert token.name == "booking site" and token.token_hash == token_hash(raw)
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from introspection
            for row in cursor.fetchall():
                assert not any(raw in str(value) for value in row), f"the raw token is stored in {table}"
    assert call_api(raw).status_code == 200
    listed = browser.get(PAGE).content.decode()
    assert "booking site" in listed and raw not in listed


def test_a_session_without_its_second_factor_cannot_make_one(uma, client):
    TOTPDevice.objects.create(user=uma, name="phone", confirmed=True)
    client.force_login(uma)
    response = client.post(PAGE, {"name": "sneaky", "days": "30"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("two_factor:verify"))
    assert not ApiToken.objects.exists()
    assert Client().get(PAGE)["Location"].startswith(reverse("admin:login"))


def test_a_revoked_token_stops_working_and_only_its_owner_revokes_it(uma, tess):
    _token, raw = api_token_create(user=uma, name="script", days=30)
    theirs, other = api_token_create(user=tess, name="tess's", days=30)
    browser = verified(uma)
    assert browser.post(PAGE, {"revoke": str(theirs.pk)}).status_code == 302
    assert call_api(other).status_code == 200  # someone else's token is not hers to revoke
    assert browser.post(PAGE, {"revoke": "not-a-number"}).status_code == 302
    assert browser.post(PAGE, {"revoke": str(ApiToken.objects.get(user=uma).pk)}).status_code == 302
    assert call_api(raw).status_code == 401


def test_a_token_expires(uma):
    _token, raw = api_token_create(user=uma, name="script", days=7)
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert call_api(raw).status_code == 401
    assert call_api(raw).status_code == 200


def test_a_token_of_someone_no_longer_staff_stops_working(uma):
    _token, raw = api_token_create(user=uma, name="script", days=7)
    type(uma).objects.filter(pk=uma.pk).update(is_staff=False)
    assert call_api(raw).status_code == 403
    type(uma).objects.filter(pk=uma.pk).update(is_staff=True, is_active=False)
    assert call_api(raw).status_code == 401


def test_a_token_lasts_at_most_the_longest_allowed(uma, settings):
    settings.TANDEM_API_TOKEN_MAX_DAYS = 10
    token, _raw = api_token_create(user=uma, name="script", days=400)
    assert token.expires_at - timezone.now() <= timedelta(days=10)


def test_plain_drf_tokens_are_hashed_into_expiring_tokens_and_their_table_dropped(uma):
    from types import SimpleNamespace

    from django.apps import apps as global_apps
    from django.db import connection as conn
    from django.db.migrations.executor import MigrationExecutor

    with conn.cursor() as cursor:
        cursor.execute('CREATE TABLE "authtoken_token" (key varchar(40) PRIMARY KEY, user_id integer, created text)')
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, %s, '')", ["a" * 40, uma.pk])
    migration = MigrationExecutor(conn).loader.get_migration("accounts", "0003_retire_plain_api_tokens")
    migration.operations[0].code(global_apps, SimpleNamespace(connection=conn))
    assert "authtoken_token" not in conn.introspection.table_names()
    migrated = ApiToken.objects.get(user=uma)
    assert migrated.token_hash == token_hash("a" * 40) and migrated.expires_at > timezone.now()
    assert call_api("a" * 40).status_code == 200
