"""The site's armour in production: headers on the admin, the public pages and the invalid-link page."""

from __future__ import annotations

import json

import pytest
from django.urls import NoReverseMatch, reverse

from tests.config.test_settings import PRODUCTION, run_python

pytestmark = pytest.mark.django_db

CSP_DIRECTIVES = [
    "default-src 'self'",
    "script-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
]


def csp(response) -> dict[str, str]:
    return {
        part.strip().split(" ", 1)[0]: part.strip()
        for part in response["Content-Security-Policy"].split(";")
        if part.strip()
    }


def assert_armour(response, referrer_policy: str) -> None:
    policy = csp(response)
    for directive in CSP_DIRECTIVES:
        assert policy[directive.split(" ", 1)[0]] == directive
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == referrer_policy
    assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]


def test_the_admin_login_page_wears_every_header(client, production):
    response = client.get(reverse("admin:login"), secure=True)
    assert response.status_code == 200
    assert_armour(response, "same-origin")


def test_a_public_newsletter_page_keeps_its_own_referrer_policy(client, production, harbour):
    response = client.get(reverse("newsletter:subscribe", args=[harbour.pk]), secure=True)
    assert response.status_code == 200
    assert_armour(response, "no-referrer")
    assert response["Cache-Control"] == "no-store"


def test_the_invalid_link_page_wears_every_header(client, production):
    response = client.get(reverse("newsletter:confirm", args=["not-a-token"]), secure=True)
    assert response.status_code == 404
    assert_armour(response, "no-referrer")


def test_the_client_form_invalid_link_page_wears_every_header(client, production):
    try:
        url = reverse("assessments:start", args=["not-a-token"])
    except NoReverseMatch:
        pytest.fail("the client form's URL is gone; update this test to its new name")
    response = client.get(url, secure=True)
    assert response.status_code in (404, 410)
    assert_armour(response, "no-referrer")


def test_plain_http_is_sent_to_https(client, production):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 301 and response["Location"].startswith("https://")


def test_a_policy_is_sent_in_development_too(client):
    response = client.get(reverse("admin:login"))
    assert "script-src 'self'" in response["Content-Security-Policy"]


PRODUCTION_SNAPSHOT = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name, None) for name in (
    "TANDEM_REQUIRE_2FA", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE", "SESSION_COOKIE_AGE", "SESSION_SAVE_EVERY_REQUEST", "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_SSL_REDIRECT", "PASSWORD_RESET_TIMEOUT", "AXES_FAILURE_LIMIT",
    "AXES_LOCKOUT_PARAMETERS", "CELERY_ACCEPT_CONTENT", "TANDEM_API_DOCS_PUBLIC",
)} | {"MIDDLEWARE": s.MIDDLEWARE, "AXES_COOLOFF_MINUTES": s.AXES_COOLOFF_TIME.total_seconds() / 60}))
"""


def test_production_settings_come_from_the_environment(tmp_path):
    result = run_python(PRODUCTION_SNAPSHOT, tmp_path, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["TANDEM_REQUIRE_2FA"] is True
    assert found["SESSION_COOKIE_SECURE"] and found["CSRF_COOKIE_SECURE"] and found["SESSION_COOKIE_HTTPONLY"]
    assert found["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert found["SESSION_COOKIE_AGE"] == 30 * 60 and found["SESSION_SAVE_EVERY_REQUEST"]
    assert found["SECURE_HSTS_SECONDS"] == 365 * 24 * 60 * 60 and found["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
    assert found["SECURE_SSL_REDIRECT"] is True
    assert found["PASSWORD_RESET_TIMEOUT"] == 3600
    assert found["AXES_FAILURE_LIMIT"] == 5 and found["AXES_COOLOFF_MINUTES"] == 15
    assert found["AXES_LOCKOUT_PARAMETERS"] == [["username", "ip_address"]]
    assert found["CELERY_ACCEPT_CONTENT"] == ["json"]
    assert found["TANDEM_API_DOCS_PUBLIC"] is False
    middleware = found["MIDDLEWARE"]
    assert middleware.index("django_otp.middleware.OTPMiddleware") < middleware.index(
        "practice.accounts.two_factor.RequireTwoFactorMiddleware"
    )
    assert middleware[-1] == "axes.middleware.AxesMiddleware"


def test_two_factor_is_on_in_production_off_in_the_demo_and_switchable(tmp_path):
    snapshot = "import django; django.setup(); from django.conf import settings; print(settings.TANDEM_REQUIRE_2FA)"
    assert run_python(snapshot, tmp_path).stdout.strip() == "False"
    assert run_python(snapshot, tmp_path, TANDEM_REQUIRE_2FA="1").stdout.strip() == "True"
    assert run_python(snapshot, tmp_path, **PRODUCTION, TANDEM_REQUIRE_2FA="0").stdout.strip() == "False"


@pytest.mark.parametrize("query", ["q=%00", "q=a%00b&status=x", "status=%00"])
def test_a_nul_in_the_query_string_is_a_400_everywhere(client, query):
    assert client.get(f"/admin/clients/client/?{query}").status_code == 400
    assert client.get(f"/newsletter/1/subscribe/?{query}").status_code == 400
    assert client.get(f"/api/v1/clients/?{query}").status_code != 400  # the API answers for itself, in JSON
