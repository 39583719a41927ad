"""The first run: emails printed with their link in development only, links that follow ADDRPORT, a quiet start."""

from __future__ import annotations

import pytest

from clients.management.commands.runpractice import site_url_for
from tests.config.test_settings import PRODUCTION, run_python

TOKEN = "Qm9vbXNoYWthbGFrYS0yNTYtYml0cy1vZi1zZWNyZXQtdG9rZW4"
PRINT_AN_EMAIL = f"""
import logging, django
django.setup()
logging.getLogger("celery.redirected").warning("To: cara@mail.example\\nhttp://127.0.0.1:8101/q/{TOKEN}/")
logging.getLogger("django.request").warning("Not Found: /q/{TOKEN}/ for cara@mail.example")
logging.getLogger("kombu.connection").warning("No hostname was supplied. Reverting to default 'localhost'")
logging.getLogger("kombu.connection").warning("Secure redis scheme specified (rediss) with no ssl options")
"""


def test_in_development_the_worker_prints_emails_with_their_link_and_logs_stay_redacted(tmp_path):
    done = run_python(PRINT_AN_EMAIL, tmp_path)
    assert done.returncode == 0, done.stderr
    printed = done.stderr
    assert f"To: cara@mail.example\nhttp://127.0.0.1:8101/q/{TOKEN}/" in printed
    assert "Not Found: /q/[redacted]/ for [email]" in printed, "request logs are still redacted"
    assert "No hostname was supplied" not in printed
    assert "Secure redis scheme specified" in printed, "kombu's other warnings still show"
    assert "AXES: BEGIN" not in printed


def test_with_debug_off_what_the_worker_prints_is_redacted_too(tmp_path):
    done = run_python(PRINT_AN_EMAIL, tmp_path, **PRODUCTION)
    assert done.returncode == 0, done.stderr
    assert TOKEN not in done.stderr and "cara@mail.example" not in done.stderr
    assert "To: [email]" in done.stderr and "/q/[redacted]/" in done.stderr


@pytest.mark.parametrize(
    ("addrport", "site"),
    [
        ("127.0.0.1:8101", "http://127.0.0.1:8101"),
        ("8101", "http://127.0.0.1:8101"),
        ("0.0.0.0:8080", "http://127.0.0.1:8080"),
        ("0:8080", "http://127.0.0.1:8080"),
        ("localhost:8000", "http://localhost:8000"),
        ("[::1]:8000", "http://[::1]:8000"),
        ("[::]:8000", "http://[::1]:8000"),
    ],
)
def test_links_in_emails_follow_the_address_runpractice_serves(addrport, site):
    assert site_url_for(addrport) == site
