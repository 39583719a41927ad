"""System checks for the practice app's configuration."""

from __future__ import annotations

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def site_url_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Links in emails (one-click unsubscribe in particular, RFC 8058) must be https in production."""
    url = getattr(settings, "TANDEM_SITE_URL", "")
    if not url.startswith("https://"):
        return [
            checks.Warning(
                f"TANDEM_SITE_URL is {url!r}; links in emails should use https, and one-click unsubscribe needs it.",
                hint="Set TANDEM_SITE_URL to the site's https address, e.g. https://practice.example.org.",
                id="practice.W001",
            )
        ]
    return []


@checks.register(checks.Tags.security, deploy=True)
def two_factor_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Therapists' accounts reach health data: in production a password alone must not be enough."""
    if getattr(settings, "TANDEM_REQUIRE_2FA", False):
        return []
    return [
        checks.Warning(
            "TANDEM_REQUIRE_2FA is off: staff can sign in to the admin with a password alone.",
            hint="Leave TANDEM_REQUIRE_2FA unset (it is on when DEBUG=0) or set it to 1.",
            id="practice.W002",
        )
    ]
