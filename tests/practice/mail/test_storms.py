"""Storms back off: temporary refusals recipient after recipient count as the server failing."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from practice.mail import outbox
from practice.mail.models import DeliveryState, EmailStatus, OutboundEmail
from tests.practice.mail.test_outbox import put, statuses


def test_a_454_storm_backs_off_the_connection_instead_of_trying_everyone(harbour, smtp, settings):
    settings.PRACTICE_STORM_AFTER_TEMPORARY_FAILURES = 4
    put(harbour, 30)
    smtp.data_reply = "454 4.7.0 Try again later"
    report = outbox.drain()
    assert report.deferred == 4 and report.connection_failed and not report.paused
    assert statuses() == {EmailStatus.DEFERRED: 4, EmailStatus.PENDING: 26}  # the rest never tried
    untried = OutboundEmail.objects.filter(status=EmailStatus.PENDING)
    assert set(untried.values_list("attempts", flat=True)) == {0}
    assert all(row.due_at > timezone.now() for row in untried)
    assert DeliveryState.objects.get().consecutive_failures == 1


def test_the_back_off_doubles_with_each_storm_in_a_row(harbour, smtp, settings):
    settings.PRACTICE_STORM_AFTER_TEMPORARY_FAILURES = 2
    settings.PRACTICE_BACKOFF_SECONDS = 30
    put(harbour, 20)
    smtp.data_reply = "451 4.3.0 Busy"
    waits = []
    for _ in range(3):
        started = timezone.now()
        outbox.drain()
        latest = max(OutboundEmail.objects.filter(status=EmailStatus.PENDING).values_list("due_at", flat=True))
        waits.append(round((latest - started).total_seconds()))
        OutboundEmail.objects.update(due_at=timezone.now() - timedelta(seconds=1))
    assert waits == [30, 60, 120]


def test_a_storm_that_goes_on_pauses_sending_and_tells_the_staff(harbour, smtp, settings, client, tess):
    settings.PRACTICE_STORM_AFTER_TEMPORARY_FAILURES = 3
    settings.PRACTICE_PAUSE_AFTER_FAILURES = 2
    put(harbour, 20)
    smtp.data_reply = "454 4.7.0 Try again later"
    outbox.drain()
    OutboundEmail.objects.update(due_at=timezone.now() - timedelta(seconds=1))
    assert outbox.drain().paused
    state = DeliveryState.objects.get()
    assert state.paused and "temporary refusals in a row" in state.reason and "454" in state.reason
    assert outbox.drain().paused  # nothing is tried while paused
    assert len(smtp.messages) == 0
    client.force_login(tess)
    page = client.get("/admin/").content.decode()
    assert "Email sending is paused." in page


def test_a_message_that_goes_ends_the_streak(harbour, smtp, settings):
    settings.PRACTICE_STORM_AFTER_TEMPORARY_FAILURES = 3
    put(harbour, 8)
    for i in (0, 1, 3, 4, 6, 7):  # never three refused in a row
        smtp.refuse[f"person{i}@example.net"] = "450 4.2.1 Mailbox busy"
    report = outbox.drain()
    assert (report.sent, report.deferred, report.connection_failed) == (2, 6, False)


def test_after_a_storm_resuming_sends_everyone_once(harbour, smtp, settings, django_capture_on_commit_callbacks):
    settings.PRACTICE_STORM_AFTER_TEMPORARY_FAILURES = 3
    settings.PRACTICE_PAUSE_AFTER_FAILURES = 1
    put(harbour, 10)
    smtp.data_reply = "454 4.7.0 Try again later"
    assert outbox.drain().paused
    assert statuses() == {EmailStatus.DEFERRED: 3, EmailStatus.PENDING: 7}
    smtp.data_reply = None  # the server recovers; the owner presses Resume
    with django_capture_on_commit_callbacks(execute=True):
        outbox.resume_sending()
    # Those held back go at once; the three refused wait for their own retry.
    assert smtp.received_by() == {f"person{i}@example.net": 1 for i in range(3, 10)}
    OutboundEmail.objects.filter(status=EmailStatus.DEFERRED).update(due_at=timezone.now() - timedelta(seconds=1))
    outbox.drain()
    assert smtp.received_by() == {f"person{i}@example.net": 1 for i in range(10)}
    assert statuses() == {EmailStatus.SENT: 10}
