"""Recovery in seconds without beat: drains on worker start, self-scheduled retries, heartbeat leases."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from practice.mail import outbox, tasks
from practice.mail.models import EmailStatus, OutboundEmail
from tests.practice.mail.test_outbox import put


@pytest.fixture
def queued(monkeypatch):
    """Drain tasks recorded instead of queued: (kwargs, countdown)."""
    for key in (tasks.WAITING_KEY, tasks.NEXT_RUN_KEY):
        cache.delete(key)
    sent: list[tuple[dict, float | None]] = []
    monkeypatch.setattr(tasks.drain_outbox, "delay", lambda: sent.append(({}, None)))
    monkeypatch.setattr(
        tasks.drain_outbox,
        "apply_async",
        lambda kwargs=None, countdown=None, **options: sent.append((kwargs or {}, countdown)),
    )
    yield sent
    for key in (tasks.WAITING_KEY, tasks.NEXT_RUN_KEY):
        cache.delete(key)


def test_a_worker_that_starts_queues_drains_at_once(db, queued, settings):
    settings.PRACTICE_DRAIN_FANOUT = 2
    tasks.drain_on_worker_ready(sender=None)
    assert queued == [({}, None), ({"extra": True}, None), ({"extra": True}, None)]


def test_a_drain_schedules_its_next_run_for_the_earliest_deferred_retry(harbour, smtp, queued):
    put(harbour, 2)
    OutboundEmail.objects.filter(to_email="person1@example.net").update(
        status=EmailStatus.DEFERRED, due_at=timezone.now() + timedelta(seconds=20)
    )
    tasks.drain_outbox.run()
    assert smtp.received_by() == {"person0@example.net": 1}
    [(kwargs, countdown)] = queued
    assert kwargs == {} and 18 <= countdown <= 20


def test_a_retry_due_later_is_reached_in_short_hops(harbour, smtp, queued, settings):
    settings.PRACTICE_DRAIN_MAX_COUNTDOWN_SECONDS = 45
    put(harbour, 1)
    OutboundEmail.objects.update(status=EmailStatus.DEFERRED, due_at=timezone.now() + timedelta(hours=2))
    tasks.drain_outbox.run()
    assert queued == [({}, 45)]


def test_drains_finishing_together_schedule_one_next_run(harbour, smtp, queued):
    put(harbour, 1)
    OutboundEmail.objects.update(status=EmailStatus.DEFERRED, due_at=timezone.now() + timedelta(seconds=30))
    tasks.drain_outbox.run()
    tasks.drain_outbox.run()
    assert len(queued) == 1


def test_a_drain_with_nothing_waiting_schedules_nothing(harbour, smtp, queued):
    put(harbour, 3)
    tasks.drain_outbox.run()
    assert len(smtp.messages) == 3
    assert queued == []


def test_a_claimed_lease_is_waited_for_too(harbour, queued):
    """A dead worker's rows come back when their lease runs out: the next drain is queued for then."""
    put(harbour, 1)
    OutboundEmail.objects.update(
        status=EmailStatus.SENDING, lease_token="dead", lease_expires_at=timezone.now() + timedelta(seconds=7)
    )
    tasks.drain_outbox.run()
    [(_kwargs, countdown)] = queued
    assert 5 <= countdown <= 7


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_keeps_a_live_workers_short_lease(postgres, make_practice, settings):
    settings.PRACTICE_OUTBOX_LEASE_SECONDS = 1
    put(make_practice("Beating"), 3)
    token, rows = outbox.claim(10)
    assert len(rows) == 3
    with outbox.heartbeat(token):
        time.sleep(2.5)  # more than twice the lease
        assert outbox.release_lost() == 0
        assert all(at > timezone.now() for at in OutboundEmail.objects.values_list("lease_expires_at", flat=True))
    time.sleep(1.2)  # the heartbeat stopped, as when the worker dies
    assert outbox.release_lost() == 3
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {EmailStatus.PENDING}


def test_a_visibility_timeout_shorter_than_a_drain_is_a_configuration_error(settings):
    from practice.mail.checks import timings_fit_the_broker

    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60}
    assert [error.id for error in timings_fit_the_broker()] == ["mail.E001"]
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 300}
    assert timings_fit_the_broker() == []
