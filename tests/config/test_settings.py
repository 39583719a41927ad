"""Settings: embedded defaults with no environment, services by URL, safe production start-up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import env

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "x7Kp2-long-random-production-secret-QzR9vT4mW8nY3bL6cF1hJ5dG0sA",
    "ALLOWED_HOSTS": "practice.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://practice.example.org",
    "DATABASE_URL": "postgres://tandem:secret@db.internal:5432/tandem",
    "REDIS_URL": "redis://:secret@cache.internal:6379/0",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.org:587",
    "DEFAULT_FROM_EMAIL": "Harbour Light <hello@practice.example.org>",
    "TANDEM_SITE_URL": "https://practice.example.org",
}

SNAPSHOT = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({
    "debug": s.DEBUG,
    "engine": s.DATABASES["default"]["ENGINE"],
    "db_name": str(s.DATABASES["default"]["NAME"]),
    "broker": s.CELERY_BROKER_URL,
    "cache": s.CACHES["default"]["BACKEND"],
    "email_backend": s.EMAIL_BACKEND,
    "email_host": getattr(s, "EMAIL_HOST", ""),
    "email_tls": getattr(s, "EMAIL_USE_TLS", False),
    "secret_len": len(s.SECRET_KEY),
    "always_eager": s.CELERY_TASK_ALWAYS_EAGER,
    "db_options": s.DATABASES["default"].get("OPTIONS", {}),
}))
"""


def run_python(code: str, tmp_path: Path, **environment: str) -> subprocess.CompletedProcess[str]:
    clean = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "TANDEM_VAR_DIR": str(tmp_path / "var")}
    clean["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )


def check_deploy(tmp_path: Path, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``manage.py check --deploy --fail-level WARNING`` with exactly this environment."""
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), "TANDEM_VAR_DIR": str(tmp_path / "var"), **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )


def snapshot(tmp_path: Path, **environment: str) -> dict[str, object]:
    result = run_python(SNAPSHOT, tmp_path, **environment)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_no_environment_means_sqlite_console_mail_and_a_broker_folder(tmp_path):
    found = snapshot(tmp_path)
    assert found["debug"] is True
    assert found["engine"] == "django.db.backends.sqlite3"
    assert found["db_name"] == str(tmp_path / "var" / "tandem.sqlite3")
    assert found["broker"] == "filesystem://"
    assert found["email_backend"] == "django.core.mail.backends.console.EmailBackend"
    assert found["always_eager"] is False
    assert found["secret_len"] >= 50
    assert (tmp_path / "var" / "dev-secret-key").exists()


def test_the_generated_dev_secret_is_kept_between_starts(tmp_path):
    snapshot(tmp_path)
    first = (tmp_path / "var" / "dev-secret-key").read_text()
    snapshot(tmp_path)
    assert (tmp_path / "var" / "dev-secret-key").read_text() == first


def test_service_urls_switch_to_postgres_redis_and_smtp(tmp_path):
    found = snapshot(
        tmp_path,
        DATABASE_URL="postgres://u:p@db.internal:5432/tandem",
        REDIS_URL="redis://cache.internal:6379/2",
        EMAIL_URL="smtp+tls://user:pass@smtp.example.org:587",
    )
    assert found["engine"] == "django.db.backends.postgresql"
    assert found["broker"] == "redis://cache.internal:6379/2"
    assert found["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert found["email_backend"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (found["email_host"], found["email_tls"]) == ("smtp.example.org", True)
    assert found["db_options"] == {"prepare_threshold": 5}


def test_prepared_statements_can_be_turned_off_for_a_pooler_that_cannot_keep_them(tmp_path):
    """``DATABASE_PREPARED_STATEMENTS=0`` leaves psycopg's threshold unset, which Django passes on as None:
    nothing is prepared (PgBouncer in transaction mode before 1.21)."""
    found = snapshot(tmp_path, DATABASE_URL="postgres://u:p@db.internal:5432/tandem", DATABASE_PREPARED_STATEMENTS="0")
    assert found["engine"] == "django.db.backends.postgresql"
    assert "prepare_threshold" not in found["db_options"]


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_production_without_a_required_variable_refuses_to_start(tmp_path, missing):
    environment = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = run_python("import django; django.setup()", tmp_path, **environment)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"DEBUG is off, so {missing} must be set" in result.stderr


def test_check_deploy_passes_with_the_readme_production_variables(tmp_path):
    result = check_deploy(tmp_path, PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_when_production_is_weakened(tmp_path):
    weakened = {**PRODUCTION, "SECURE_SSL_REDIRECT": "0", "SECURE_HSTS_SECONDS": "0"}
    result = check_deploy(tmp_path, weakened)
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout


def test_secrets_can_be_read_from_files(tmp_path, monkeypatch):
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-a-file\n")
    monkeypatch.setenv("SOMETHING_FILE", str(secret_file))
    assert env.get("SOMETHING") == "from-a-file"


def test_an_unreadable_secret_file_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("SOMETHING_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="SOMETHING_FILE"):
        env.get("SOMETHING")


@pytest.mark.parametrize("value", ["maybe", "2", "enabled"])
def test_a_malformed_boolean_is_a_clear_error(monkeypatch, value):
    monkeypatch.setenv("FLAG", value)
    with pytest.raises(ImproperlyConfigured, match="FLAG must be true or false"):
        env.get_bool("FLAG", False)


def test_email_urls_cover_plain_starttls_implicit_tls_and_other_backends():
    assert env.email_settings(None)["EMAIL_BACKEND"].endswith("console.EmailBackend")
    plain = env.email_settings("smtp://127.0.0.1:2525")
    assert (plain["EMAIL_HOST"], plain["EMAIL_PORT"], plain["EMAIL_USE_TLS"]) == ("127.0.0.1", 2525, False)
    tls = env.email_settings("smtp+tls://me%40x.org:p%2Fw@smtp.x.org")
    assert (tls["EMAIL_HOST_USER"], tls["EMAIL_HOST_PASSWORD"], tls["EMAIL_PORT"]) == ("me@x.org", "p/w", 587)
    ssl = env.email_settings("smtp+ssl://smtp.x.org")
    assert (ssl["EMAIL_USE_SSL"], ssl["EMAIL_PORT"]) == (True, 465)
    other = env.email_settings("backend://anymail.backends.postmark.EmailBackend")
    assert other["EMAIL_BACKEND"] == "anymail.backends.postmark.EmailBackend"


@pytest.mark.parametrize("url", ["ftp://x.org", "smtp://", "smtp://host:notaport"])
def test_a_malformed_email_url_is_a_clear_error(url):
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL"):
        env.email_settings(url)


def test_celery_takes_json_only_acknowledges_late_and_prefetches_one():
    from config.celery import app

    conf = app.conf
    assert conf.accept_content == ["json"] and conf.task_serializer == "json"
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert {entry["task"] for entry in conf.beat_schedule.values()} >= {
        "mail.drain_outbox",
        "newsletter.start_due_campaigns",
    }
    daily = {"clients.retention_review", "newsletter.send_digests"}
    hourly = {"newsletter.read_feeds"}  # a blog is read once an hour; everything that sends is ticked in minutes
    schedule = {entry["task"]: entry["schedule"] for entry in conf.beat_schedule.values()}
    assert all(every <= 300 for task, every in schedule.items() if task not in daily | hourly)
    assert all(schedule[task] == 3600 for task in hourly) and all(schedule[task] == 86400 for task in daily)
    assert set(schedule) >= {"assessments.tick", *daily, *hourly}


def test_check_deploy_warns_when_email_links_are_not_https(tmp_path):
    plain = {**PRODUCTION, "TANDEM_SITE_URL": "http://practice.example.org"}
    result = check_deploy(tmp_path, plain)
    assert result.returncode != 0
    assert "practice.W001" in result.stderr + result.stdout


def test_check_deploy_warns_when_two_factor_sign_in_is_off(tmp_path):
    result = check_deploy(tmp_path, {**PRODUCTION, "TANDEM_REQUIRE_2FA": "0"})
    assert result.returncode != 0
    assert "practice.W002" in result.stderr + result.stdout
