"""Logs carry no link tokens and no email addresses, whoever logs and however."""

from __future__ import annotations

import io
import logging
import logging.config

import pytest
from django.conf import settings as django_settings

from config.logging import RedactFilter, redact
from practice.newsletter.tokens import confirm_token, unsubscribe_token

TOKEN = "eyJzIjoxMn0:1vAbCd:Q2xTq0s3cr3tS1gnatur3_xyz"


@pytest.mark.parametrize(
    "path",
    [
        f"/q/{TOKEN}/",
        f"/q/{TOKEN}/page/2/",
        f"/newsletter/confirm/{TOKEN}/",
        f"/newsletter/unsubscribe/{TOKEN}/",
        f"/newsletter/preferences/{TOKEN}/",
        f"/newsletter/preferences/{TOKEN}",
    ],
)
def test_tokens_in_paths_are_redacted(path):
    cleaned = redact(f'"GET {path} HTTP/1.1" 404 1234')
    assert TOKEN not in cleaned and "[redacted]" in cleaned


def token_routes(patterns=None, namespace: str = "") -> list[tuple[str, dict]]:
    """Every URL name in the project whose route takes a ``token``, with its route's converters."""
    from django.urls import URLPattern, URLResolver, get_resolver

    found = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found += token_routes(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name and "token" in entry.pattern.converters:
            found.append((namespace + entry.name, entry.pattern.converters))
    return found


def test_every_link_with_a_token_in_the_site_is_redacted():
    from django.urls import reverse
    from django.urls.converters import IntConverter

    routes = token_routes()
    assert "newsletter:confirm" in {name for name, _ in routes}
    for name, converters in routes:
        kwargs = {key: 1 if isinstance(kind, IntConverter) else "x" for key, kind in converters.items()}
        path = reverse(name, kwargs={**kwargs, "token": TOKEN})
        assert TOKEN not in redact(f"GET {path}"), f"{name} ({path}) is not in TOKEN_PATH_PREFIXES"


def test_emails_and_secret_parameters_are_redacted_and_the_rest_is_kept():
    line = "Sent to cara.whitfield@example.net (cara%40example.net) ?token=abc&page=2 for practice 7"
    assert redact(line) == "Sent to [email] ([email]) ?token=[redacted]&page=2 for practice 7"
    assert redact("/newsletter/7/subscribe/ tess@demo") == "/newsletter/7/subscribe/ tess@demo"


def capture_through_settings_logging() -> tuple[logging.Logger, io.StringIO]:
    """A handler configured exactly like settings.LOGGING's console, writing to a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    for name in django_settings.LOGGING["handlers"]["console"]["filters"]:
        factory = django_settings.LOGGING["filters"][name]["()"]
        assert factory == "config.logging.RedactFilter"
        handler.addFilter(RedactFilter())
    logger = logging.getLogger("tests.security.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    return logger, stream


def test_arguments_and_exceptions_are_redacted_before_any_handler_formats_them():
    logger, stream = capture_through_settings_logging()
    logger.warning("Not Found: %s for %s", f"/newsletter/confirm/{TOKEN}/", "olga@example.org")
    try:
        raise ValueError(f"bad link /q/{TOKEN}/ for fiona.lund@example.net")
    except ValueError:
        logger.exception("failed")
    output = stream.getvalue()
    assert TOKEN not in output and "@example" not in output
    assert "Not Found: /newsletter/confirm/[redacted]/ for [email]" in output
    assert "ValueError: bad link /q/[redacted]/ for [email]" in output


def test_every_configured_handler_and_djangos_loggers_redact():
    config = django_settings.LOGGING
    for name, handler in config["handlers"].items():
        assert "redact" in handler.get("filters", []), f"handler {name} does not redact"
    for name in ("django", "django.server"):
        assert config["loggers"][name]["propagate"] is False
        assert set(config["loggers"][name]["handlers"]) <= set(config["handlers"])
    root = logging.getLogger()
    assert any(isinstance(f, RedactFilter) for handler in root.handlers for f in handler.filters)


@pytest.mark.django_db
def test_a_journey_through_the_public_pages_logs_no_token_or_address(client, harbour, configured_output):
    """Subscribe, open the confirmation link, confirm, unsubscribe, and miss with bad links: the
    handlers settings.LOGGING installed write none of the tokens or the address."""
    from practice.newsletter.models import Subscriber

    email = "journey.person@example.net"
    client.post(f"/newsletter/{harbour.pk}/subscribe/", {"name": "Jo", "email": email, "consent": "yes"})
    subscriber = Subscriber.objects.get(email=email)
    tokens = [confirm_token(subscriber.pk), unsubscribe_token(subscriber.pk)]
    client.get(f"/newsletter/confirm/{tokens[0]}/")
    client.post(f"/newsletter/confirm/{tokens[0]}/")
    client.post(f"/newsletter/unsubscribe/{tokens[1]}/")
    client.get(f"/newsletter/preferences/{tokens[1]}x/")  # a 404, which Django logs with its path
    client.get(f"/newsletter/confirm/{tokens[0]}x/")
    logging.getLogger("practice").info("A note about %s", email)
    printed = configured_output.getvalue()
    assert "Not Found: /newsletter/preferences/[redacted]/" in printed  # the journey did log
    assert "A note about [email]" in printed
    for secret in (*tokens, email):
        assert secret not in printed
