"""Delivery with real parts: Celery workers on Redis, PostgreSQL, a real SMTP server, a SIGKILL."""

from __future__ import annotations

import time

import pytest

from config.celery import app as celery_app
from practice.mail.models import EmailStatus, OutboundEmail
from practice.mail.tasks import drain_outbox
from practice.newsletter.campaigns import campaign_counts, campaign_start
from practice.newsletter.models import Campaign, CampaignStatus, Subscriber, SubscriberStatus
from tests.integration.test_celery_worker import Worker, worker_environment

pytestmark = [pytest.mark.services, pytest.mark.slow]

RECIPIENTS = 150


def wait_until(condition, timeout: float = 90.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def unresolved() -> int:
    return OutboundEmail.objects.filter(
        status__in=[EmailStatus.PENDING, EmailStatus.SENDING, EmailStatus.DEFERRED]
    ).count()


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_campaign_loses_nothing_and_sends_nothing_twice(
    redis_url, postgres, smtp_server, make_practice, tmp_path
):
    sink, smtp_url = smtp_server
    sink.delay = 0.02
    practice = make_practice("Fault Tolerant")
    Subscriber.objects.bulk_create(
        Subscriber(practice=practice, email=f"reader{i}@example.net", status=SubscriberStatus.CONFIRMED)
        for i in range(RECIPIENTS)
    )
    campaign = Campaign.objects.create(practice=practice, subject="News", body_markdown="Hello")
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    campaign_start(campaign=campaign)  # its drain waits in Redis for the first worker
    environment = worker_environment(
        tmp_path, redis_url, smtp_url, DJANGO_SETTINGS_MODULE="tests.integration.fault_settings"
    )
    first = Worker(environment)
    try:
        assert first.wait_for("ready."), "".join(first.lines)
        assert wait_until(lambda: len(sink.messages) >= 40), "".join(first.lines)
    finally:
        first.kill()
    killed_at = len(sink.messages)
    assert killed_at < RECIPIENTS, "the worker should have been killed mid-campaign"
    time.sleep(2.5)  # the dead worker's lease runs out

    # The restarted service: two worker processes, and the drain task delivered twice.
    second = Worker(environment, "--pool", "prefork", "--concurrency", "2")
    try:
        assert second.wait_for("ready."), "".join(second.lines)
        drain_outbox.delay()
        drain_outbox.delay()
        assert wait_until(lambda: unresolved() == 0), "".join(second.lines)
    finally:
        second.stop()

    received = sink.received_by()
    sent = set(OutboundEmail.objects.filter(status=EmailStatus.SENT).values_list("to_email", flat=True))
    failed = list(OutboundEmail.objects.filter(status=EmailStatus.FAILED).values_list("to_email", "last_error"))
    assert all(count == 1 for count in received.values()), "somebody got a message twice"
    assert all(received.get(address) == 1 for address in sent), "a row marked sent never arrived"
    # At most the one message the dead worker was transmitting is uncertain, and it is not resent.
    assert len(failed) <= 1
    assert all("not sent again" in error for _, error in failed)
    assert len(sent) + len(failed) == RECIPIENTS
    assert len(received) >= RECIPIENTS - len(failed)
    campaign.refresh_from_db()
    counts = campaign_counts(campaign)
    assert campaign.status == CampaignStatus.FINISHED
    assert (
        counts["recipients"]
        == RECIPIENTS
        == counts["sent"] + counts["failed"] + counts["suppressed"] + counts["cancelled"]
    )


@pytest.mark.django_db(transaction=True)
def test_people_who_unsubscribe_while_their_batch_is_being_sent_get_nothing(
    redis_url, postgres, smtp_server, make_practice, tmp_path
):
    from practice.newsletter.subscriptions import subscriber_unsubscribe

    sink, smtp_url = smtp_server
    sink.delay = 0.04
    practice = make_practice("Late Leavers")
    Subscriber.objects.bulk_create(
        Subscriber(practice=practice, email=f"reader{i}@example.net", status=SubscriberStatus.CONFIRMED)
        for i in range(RECIPIENTS)
    )
    campaign = Campaign.objects.create(practice=practice, subject="News", body_markdown="Hello")
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    environment = worker_environment(
        tmp_path,
        redis_url,
        smtp_url,
        DJANGO_SETTINGS_MODULE="tests.integration.fault_settings",
        FAULT_BATCH_SIZE="50",  # a batch takes 2 s to send, as long as the lease: the heartbeat keeps it
    )
    worker = Worker(environment)
    leavers: list[str] = []
    try:
        assert worker.wait_for("ready."), "".join(worker.lines)
        campaign_start(campaign=campaign)
        assert wait_until(lambda: len(sink.messages) >= 15), "".join(worker.lines)
        # Ten people whose messages are in the batch in flight (claimed, not yet handed to the server),
        # a few places behind the one being sent, unsubscribe.
        in_flight = list(
            OutboundEmail.objects.filter(status=EmailStatus.SENDING, transmitting_since__isnull=True)
            .order_by("due_at", "pk")
            .values_list("personalise_id", "to_email")[5:15]
        )
        assert len(in_flight) == 10, "the first batch should still be in flight"
        for subscriber_id, email in in_flight:
            subscriber_unsubscribe(subscriber=Subscriber.objects.get(pk=subscriber_id), source="one-click")
            leavers.append(email)
        assert wait_until(lambda: unresolved() == 0), "".join(worker.lines)
    finally:
        worker.stop()

    received = sink.received_by()
    assert not set(leavers) & set(received), "someone who had unsubscribed still got the newsletter"
    assert all(count == 1 for count in received.values())
    assert len(received) == RECIPIENTS - len(leavers)
    cancelled = OutboundEmail.objects.filter(status=EmailStatus.CANCELLED).values_list("to_email", flat=True)
    assert sorted(cancelled) == sorted(leavers)


@pytest.mark.django_db(transaction=True)
def test_two_workers_both_claim_batches_of_one_campaign(redis_url, postgres, smtp_server, make_practice, tmp_path):
    sink, smtp_url = smtp_server
    sink.delay = 0.02
    practice = make_practice("Shared Work")
    Subscriber.objects.bulk_create(
        Subscriber(practice=practice, email=f"reader{i}@example.net", status=SubscriberStatus.CONFIRMED)
        for i in range(RECIPIENTS)
    )
    campaign = Campaign.objects.create(practice=practice, subject="News", body_markdown="Hello")
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    environment = worker_environment(
        tmp_path,
        redis_url,
        smtp_url,
        DJANGO_SETTINGS_MODULE="tests.integration.fault_settings",
        FAULT_LEASE_SECONDS="60",
    )
    workers = [Worker(environment, "--pool", "solo", "-n", f"w{n}@%h") for n in (1, 2)]
    try:
        for worker in workers:
            assert worker.wait_for("ready."), "".join(worker.lines)
        campaign_start(campaign=campaign)  # one drain per batch, up to the fan-out: both workers get one
        assert wait_until(lambda: unresolved() == 0), "".join(workers[0].lines + workers[1].lines)
    finally:
        for worker in workers:
            worker.stop()
    claims = [sum("Outbox: claimed" in line for line in worker.lines) for worker in workers]
    assert all(count >= 1 for count in claims), claims
    assert sum(claims) >= RECIPIENTS // 10
    received = sink.received_by()
    assert len(received) == RECIPIENTS and set(received.values()) == {1}
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.FINISHED


@pytest.mark.django_db(transaction=True)
def test_a_killed_workers_messages_are_sent_within_30_s_of_a_restart_without_beat(
    redis_url, postgres, smtp_server, make_practice, tmp_path
):
    sink, smtp_url = smtp_server
    sink.delay = 0.03
    practice = make_practice("Back Soon")
    Subscriber.objects.bulk_create(
        Subscriber(practice=practice, email=f"reader{i}@example.net", status=SubscriberStatus.CONFIRMED)
        for i in range(RECIPIENTS)
    )
    campaign = Campaign.objects.create(practice=practice, subject="News", body_markdown="Hello")
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    # No beat anywhere; a lease of 10 s, which the heartbeat keeps while the worker lives.
    environment = worker_environment(
        tmp_path,
        redis_url,
        smtp_url,
        DJANGO_SETTINGS_MODULE="tests.integration.fault_settings",
        FAULT_LEASE_SECONDS="10",
        FAULT_BATCH_SIZE="50",
    )
    first = Worker(environment)
    try:
        assert first.wait_for("ready."), "".join(first.lines)
        campaign_start(campaign=campaign)
        assert wait_until(lambda: len(sink.messages) >= 20), "".join(first.lines)
    finally:
        first.kill()
    assert OutboundEmail.objects.filter(status=EmailStatus.SENDING).exists(), "it should die holding a batch"
    celery_app.control.purge()  # and the queued drains are lost too: only the restart can recover
    second = Worker(environment)
    restarted = time.monotonic()
    try:
        assert wait_until(lambda: unresolved() == 0, timeout=30), "".join(second.lines)
        took = time.monotonic() - restarted
    finally:
        second.stop()
    assert took < 30
    received = sink.received_by()
    assert all(count == 1 for count in received.values()), "somebody got a message twice"
    failed = OutboundEmail.objects.filter(status=EmailStatus.FAILED).count()
    assert failed <= 1  # the one being handed over when the worker died is not risked twice
    assert len(received) >= RECIPIENTS - failed
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.FINISHED


@pytest.mark.django_db(transaction=True)
def test_a_454_storm_pauses_sending_and_resuming_sends_everyone_once(
    redis_url, postgres, smtp_server, make_practice, tmp_path
):
    from practice.mail.models import DeliveryState
    from practice.mail.outbox import resume_sending

    sink, smtp_url = smtp_server
    sink.data_reply = "454 4.7.0 Try again later"
    practice = make_practice("Stormy")
    Subscriber.objects.bulk_create(
        Subscriber(practice=practice, email=f"reader{i}@example.net", status=SubscriberStatus.CONFIRMED)
        for i in range(RECIPIENTS)
    )
    campaign = Campaign.objects.create(practice=practice, subject="News", body_markdown="Hello")
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    environment = worker_environment(
        tmp_path,
        redis_url,
        smtp_url,
        DJANGO_SETTINGS_MODULE="tests.integration.fault_settings",
        FAULT_PRACTICE_STORM_AFTER_TEMPORARY_FAILURES="5",
        FAULT_PRACTICE_PAUSE_AFTER_FAILURES="3",
        FAULT_PRACTICE_BACKOFF_SECONDS="0.5",
        FAULT_PRACTICE_OUTBOX_RETRY_BASE_SECONDS="1.0",
    )
    worker = Worker(environment)
    try:
        assert worker.wait_for("ready."), "".join(worker.lines)
        campaign_start(campaign=campaign)
        # Paused, and the drain that paused has given back the rows it did not try (which uncounts their
        # attempt): the pause is recorded a moment before that, and counting in between counts them too.
        settled = lambda: (  # noqa: E731
            DeliveryState.objects.filter(paused=True).exists()
            and not OutboundEmail.objects.filter(status=EmailStatus.SENDING).exists()
        )
        assert wait_until(settled, timeout=30), "".join(worker.lines)
        tried = OutboundEmail.objects.filter(attempts__gt=0).count()
        assert tried <= 15 + 5, "a storm should stop the tries, not run through every recipient"
        assert "temporary refusals in a row" in DeliveryState.objects.get().reason
        time.sleep(2)
        assert OutboundEmail.objects.filter(attempts__gt=0).count() == tried  # nothing more while paused
        sink.data_reply = None  # the server recovers, and the owner resumes sending
        resume_sending()
        assert wait_until(lambda: unresolved() == 0, timeout=60), "".join(worker.lines)
    finally:
        worker.stop()
    received = sink.received_by()
    assert len(received) == RECIPIENTS and set(received.values()) == {1}
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.FINISHED
