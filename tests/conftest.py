"""The shared cast and the rules about real services.

Cast: Tess owns Harbour Light, Uma works there as a therapist, Otto is a therapist in
another practice. Cara is Tess's client, Fiona is Uma's, Olga is Otto's.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from itertools import count

import pytest
from django.conf import settings

from clients.models import Client
from practice.models import Membership, Practice, Role

REQUIRE_SERVICES = os.environ.get("TANDEM_REQUIRE_SERVICES") == "1"
PASSWORD = "correct-horse-battery-staple"


def pytest_sessionstart(session: pytest.Session) -> None:
    # Strong hashing is Django's to test, not ours: keep fixtures fast.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if not REQUIRE_SERVICES:
        return
    engine = settings.DATABASES["default"]["ENGINE"]
    problems = []
    if "postgresql" not in engine:
        problems.append(f"DATABASE_URL must point at PostgreSQL (engine is {engine})")
    if not settings.REDIS_URL:
        problems.append("REDIS_URL is not set")
    else:
        import redis

        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3).ping()
        except redis.RedisError as exc:
            problems.append(f"Redis at REDIS_URL does not answer: {exc}")
    if problems:
        raise pytest.UsageError("TANDEM_REQUIRE_SERVICES=1 but " + "; ".join(problems))


def service_missing(reason: str) -> None:
    """Skip for a missing service on a developer's machine; fail when CI requires services."""
    if REQUIRE_SERVICES:
        pytest.fail(f"Required service missing: {reason}")
    pytest.skip(reason)


@pytest.fixture
def redis_url() -> str:
    if not settings.REDIS_URL:
        service_missing("REDIS_URL is not set")
    return settings.REDIS_URL


@pytest.fixture
def postgres() -> None:
    if "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        service_missing("DATABASE_URL does not point at PostgreSQL")


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    """Rolled-back test transactions reuse primary keys, which the practice branding cache is keyed by."""
    from clients.assessment_hooks import forget_branding

    forget_branding()


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate limits and throttles count in the cache, which outlives a test: each starts with none used."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _eager_celery(settings):
    """Unit tests run tasks in-process; integration tests use a real worker instead."""
    from config.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


_sequence = count(1)

#: The management forms of the client page's inlines (consent history, questionnaires) for admin POSTs.
CLIENT_INLINES = {
    f"{prefix}-{name}": "0"
    for prefix in ("consent_records", "assessment_assignments")
    for name in ("TOTAL_FORMS", "INITIAL_FORMS")
}


@pytest.fixture
def make_practice(db) -> Callable[..., Practice]:
    def make(name: str | None = None, **fields) -> Practice:
        n = next(_sequence)
        defaults = {
            "name": name or f"Practice {n}",
            "contact_email": f"practice{n}@example.org",
            "sender_name": name or f"Practice {n}",
            "sender_email": f"practice{n}@example.org",
            "postal_address": f"{n} High Street\nTowncaster",
        }
        return Practice.objects.create(**{**defaults, **fields})

    return make


@pytest.fixture
def make_staff(db, django_user_model) -> Callable[..., object]:
    def make(username: str, practice: Practice, role: str = Role.THERAPIST, **fields):
        user = django_user_model.objects.create_user(
            username=username,
            password=PASSWORD,
            email=f"{username}@example.org",
            first_name=fields.pop("first_name", username.title()),
            last_name=fields.pop("last_name", "Staff"),
            **fields,
        )
        Membership.objects.create(practice=practice, user=user, role=role)
        user.refresh_from_db()
        return user

    return make


@pytest.fixture
def make_client(db) -> Callable[..., Client]:
    def make(therapist, practice: Practice | None = None, **fields) -> Client:
        n = next(_sequence)
        practice = practice or Membership.objects.filter(user=therapist).first().practice
        defaults = {
            "first_name": f"Client{n}",
            "last_name": f"Surname{n}",
            "email": f"client{n}@example.net",
        }
        return Client.objects.create(practice=practice, therapist=therapist, **{**defaults, **fields})

    return make


@pytest.fixture
def harbour(make_practice) -> Practice:
    return make_practice("Harbour Light")


@pytest.fixture
def elsewhere(make_practice) -> Practice:
    return make_practice("Elsewhere Wellbeing")


@pytest.fixture
def tess(make_staff, harbour):
    return make_staff("tess", harbour, Role.OWNER, first_name="Tess", last_name="Harper")


@pytest.fixture
def uma(make_staff, harbour):
    return make_staff("uma", harbour, Role.THERAPIST, first_name="Uma", last_name="Okafor")


@pytest.fixture
def otto(make_staff, elsewhere):
    return make_staff("otto", elsewhere, Role.THERAPIST, first_name="Otto", last_name="Brandt")


@pytest.fixture
def cara(make_client, tess) -> Client:
    return make_client(tess, first_name="Cara", last_name="Whitfield", email="cara.whitfield@example.net")


@pytest.fixture
def fiona(make_client, uma) -> Client:
    return make_client(uma, first_name="Fiona", last_name="Lund", email="fiona.lund@example.net")


@pytest.fixture
def olga(make_client, otto) -> Client:
    return make_client(otto, first_name="Olga", last_name="Virtanen", email="olga.virtanen@example.net")


def free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpSink:
    """A real SMTP server on loopback (aiosmtpd) that keeps what it receives.

    ``refuse`` maps an address to an RCPT reply (e.g. ``"550 5.1.1 No such user"``);
    ``data_reply`` (settable any time) makes DATA answer with a temporary failure instead of 250;
    ``delay`` slows every accepted message down, to give fault tests a window.
    """

    def __init__(self) -> None:
        self.messages: list[object] = []
        self.refuse: dict[str, str] = {}
        self.data_reply: str | None = None
        self.delay: float = 0.0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        reply = self.refuse.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        import asyncio
        from email import message_from_bytes, policy

        if self.data_reply:
            return self.data_reply
        if self.delay:
            await asyncio.sleep(self.delay)
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def received_by(self) -> dict[str, int]:
        from collections import Counter

        return dict(Counter(str(message["To"]).lower() for message in self.messages))

    def wait_for(self, count: int, timeout: float = 30.0) -> list[object]:
        import time

        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        return list(self.messages)


@pytest.fixture
def smtp_server():
    """Yield ``(sink, url)`` for a live SMTP server; stopped after the test."""
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield sink, f"smtp://127.0.0.1:{controller.port}"
    finally:
        controller.stop()


@pytest.fixture
def smtp(smtp_server, settings):
    """Django's SMTP backend pointed at a live aiosmtpd sink; returns the sink."""
    sink, url = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = int(url.rsplit(":", 1)[1])
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.PRACTICE_OUTBOX_RETRY_BASE_SECONDS = 60
    return sink


@pytest.fixture
def consenting(db):
    """Record a client's consent to questionnaire emails, as the therapist would in the admin."""
    from clients.models import Channel
    from clients.services import consent_set

    def give(client: Client) -> Client:
        consent_set(client=client, channel=Channel.QUESTIONNAIRES, given=True, source="test")
        return client

    return give


@pytest.fixture
def make_version(db) -> Callable[..., object]:
    """Import and (by default) publish an instrument document: the small test instrument unless one is given."""
    from assessments import services
    from tests.assessments.conftest import small_document

    def make(doc: dict | None = None, *, publish: bool = True, owner=None):
        """``owner`` (a practice) owns a new instrument; without it the instrument is in the library."""
        version, _warnings = services.instrument_import(doc or small_document(), publish=publish)
        if owner is not None:
            type(version.instrument).objects.filter(pk=version.instrument_id).update(owner=owner)
            version.instrument.owner = owner
        return version

    return make


@pytest.fixture
def configured_output():
    """Point the handlers that settings.LOGGING installed at a buffer, for one test."""
    import io
    import logging

    stream = io.StringIO()
    handlers = {h for name in ("", "django", "django.server") for h in logging.getLogger(name).handlers}
    previous = {
        handler: handler.setStream(stream) for handler in handlers if isinstance(handler, logging.StreamHandler)
    }
    assert previous, "settings.LOGGING installed no stream handler"
    yield stream
    for handler, old in previous.items():
        handler.setStream(old)
