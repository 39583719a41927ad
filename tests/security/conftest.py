"""Fixtures of the security suite, and the summary of how many hostile inputs each surface was sent."""

from __future__ import annotations

import pytest

from tests.security import hostile

#: Production's armour, switched on for one test (settings.py decides these from DEBUG at import).
PRODUCTION_SETTINGS = {
    "DEBUG": False,
    "TANDEM_REQUIRE_2FA": True,
    "TANDEM_API_DOCS_PUBLIC": False,
    "SECURE_SSL_REDIRECT": True,
    "SECURE_HSTS_SECONDS": 365 * 24 * 60 * 60,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_HSTS_PRELOAD": True,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
}


@pytest.fixture
def production(settings):
    """Settings as production has them (see also test_production_settings_come_from_the_environment)."""
    for name, value in PRODUCTION_SETTINGS.items():
        setattr(settings, name, value)
    return settings


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if not hostile.TRIED:
        return
    terminalreporter.section("hostile input")
    for surface in sorted(hostile.TRIED):
        terminalreporter.write_line(
            f"{surface:<40} {hostile.TRIED[surface]:>6} inputs, {hostile.SERVER_ERRORS[surface]} server errors"
        )
    terminalreporter.write_line(
        f"{'total':<40} {sum(hostile.TRIED.values()):>6} inputs, {sum(hostile.SERVER_ERRORS.values())} server errors"
    )
