"""All workers share the work: starting a campaign, and a drain with more than one batch due, queue drains."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from practice.mail import outbox, tasks
from tests.practice.mail.test_outbox import put


@pytest.fixture
def queued(monkeypatch, settings):
    """Record drain tasks instead of queueing them; the shared counter starts empty."""
    settings.PRACTICE_DRAIN_FANOUT = 3
    cache.delete(tasks.WAITING_KEY)
    sent: list[dict] = []
    monkeypatch.setattr(tasks.drain_outbox, "delay", lambda: sent.append({}))
    monkeypatch.setattr(tasks.drain_outbox, "apply_async", lambda kwargs=None, **options: sent.append(kwargs or {}))
    yield sent
    cache.delete(tasks.WAITING_KEY)


def test_starting_a_campaign_queues_a_drain_per_batch_up_to_the_fan_out(
    harbour, settings, queued, django_capture_on_commit_callbacks
):
    from practice.newsletter.campaigns import campaign_start
    from practice.newsletter.models import Campaign, Subscriber

    settings.PRACTICE_OUTBOX_BATCH_SIZE = 10
    Subscriber.objects.bulk_create(
        Subscriber(practice=harbour, email=f"r{i}@example.net", status="confirmed") for i in range(45)
    )
    with django_capture_on_commit_callbacks(execute=True):
        campaign_start(campaign=Campaign.objects.create(practice=harbour, subject="News", body_markdown="Hi"))
    assert queued == [{}, {"extra": True}, {"extra": True}, {"extra": True}]  # 5 batches, fan-out 3


def test_a_small_campaign_queues_one_drain(harbour, settings, queued, django_capture_on_commit_callbacks):
    from practice.newsletter.campaigns import campaign_start
    from practice.newsletter.models import Campaign, Subscriber

    Subscriber.objects.create(practice=harbour, email="only@example.net", status="confirmed")
    with django_capture_on_commit_callbacks(execute=True):
        campaign_start(campaign=Campaign.objects.create(practice=harbour, subject="News", body_markdown="Hi"))
    assert queued == [{}]


def test_extra_drains_waiting_are_bounded_however_many_ask(db, queued):
    for _ in range(5):
        tasks.queue_drains(100)
    assert queued.count({}) == 5  # a new message never waits on the counter
    assert queued.count({"extra": True}) == 3
    tasks.drain_outbox.run(extra=True)  # one extra starts: one more may wait
    tasks.queue_drains(100, first=False)
    assert queued.count({"extra": True}) == 4


def test_a_drain_that_finds_more_than_one_batch_due_asks_for_help_once(harbour, smtp, settings):
    settings.PRACTICE_OUTBOX_BATCH_SIZE = 4
    put(harbour, 10)
    asked: list[int] = []
    report = outbox.drain(on_more_work=lambda: asked.append(1))
    assert report.sent == 10 and report.fan_out
    assert asked == [1]


def test_a_drain_with_one_batch_or_less_asks_for_nobody(harbour, smtp, settings):
    settings.PRACTICE_OUTBOX_BATCH_SIZE = 4
    put(harbour, 4)
    asked: list[int] = []
    assert outbox.drain(on_more_work=lambda: asked.append(1)).sent == 4
    assert asked == []


def test_a_queued_drain_task_fans_out_when_it_runs_on_a_worker(harbour, smtp, settings, queued):
    from config.celery import app

    settings.PRACTICE_OUTBOX_BATCH_SIZE = 4
    put(harbour, 12)
    app.conf.task_always_eager = False  # as on a worker: the extras go to the broker
    tasks.drain_outbox.run()
    assert queued == [{"extra": True}] * 3
    assert len(smtp.messages) == 12
