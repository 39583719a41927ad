"""The outbox against a real SMTP server: every message once, nothing lost, failures handled."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.mail.backends.smtp import EmailBackend as DjangoSMTPBackend
from django.db import connection
from django.utils import timezone

from practice.mail import hooks, outbox
from practice.mail.models import DeliveryState, EmailStatus, OutboundEmail, Suppression


def put(practice, n: int, *, kind: str = "newsletter", prefix: str = "person", **extra) -> list[OutboundEmail]:
    return [
        outbox.enqueue(
            practice=practice,
            key=f"test:{prefix}:{i}",
            kind=kind,
            to=f"{prefix}{i}@example.net",
            subject=f"Hello {i}",
            text="Plain text",
            html="<p>HTML</p>",
            kick=False,
            **extra,
        )
        for i in range(n)
    ]


def statuses() -> dict[str, int]:
    from collections import Counter

    return dict(Counter(OutboundEmail.objects.values_list("status", flat=True)))


def test_enqueueing_the_same_key_twice_makes_one_row(harbour):
    first = put(harbour, 1)[0]
    again = put(harbour, 1)[0]
    assert first.pk == again.pk
    assert OutboundEmail.objects.count() == 1
    assert first.message_id.endswith("@example.org>")


def test_every_message_is_sent_once_over_one_connection(harbour, smtp):
    put(harbour, 12)
    report = outbox.drain()
    assert report.sent == 12
    assert smtp.received_by() == {f"person{i}@example.net": 1 for i in range(12)}
    assert statuses() == {EmailStatus.SENT: 12}
    assert outbox.drain().sent == 0  # a second delivery of the task finds nothing to do
    assert len(smtp.messages) == 12


def test_the_message_id_and_headers_are_those_fixed_in_the_row(harbour, smtp):
    row = put(harbour, 1, headers={"List-Id": "<news.example.org>"})[0]
    outbox.drain()
    [message] = smtp.messages
    assert message["Message-ID"] == row.message_id
    assert message["List-Id"] == "<news.example.org>"
    assert message["Date"]
    assert message.get_body(preferencelist=("plain",)).get_content().strip() == "Plain text"


def test_one_claim_of_two_practices_messages_sends_each_from_its_own_practice(make_practice, smtp):
    """A claim reads each practice once for all its rows (``prefetch_related``): on a shared host one
    claim holds several practices' messages, and each still goes out in its own practice's name."""
    north, south = make_practice("North Practice"), make_practice("South Practice")
    put(north, 3, prefix="north")
    put(south, 3, prefix="south")
    assert outbox.drain().sent == 6
    senders = {str(message["To"]): str(message["From"]) for message in smtp.messages}
    assert senders == {
        **{f"north{i}@example.net": f"North Practice <{north.sender_email}>" for i in range(3)},
        **{f"south{i}@example.net": f"South Practice <{south.sender_email}>" for i in range(3)},
    }


def test_with_djangos_smtp_backend_each_message_is_built_on_a_thread_while_the_check_runs(harbour, smtp, monkeypatch):
    """The MIME message is built beside the "still wanted?" statement, not after it (``outbox._rendered``),
    and what goes is what the backend itself would send."""
    built_on: list[str] = []
    began_building = threading.Event()
    while_checking: list[bool] = []
    real_rendered, real_check = outbox._rendered, outbox._start_transmitting

    def recording(message):
        built_on.append(threading.current_thread().name)
        began_building.set()
        return real_rendered(message)

    def checking(*args, **kwargs):
        # Building began before this check returns: the two overlap (submitted after it, this times out).
        while_checking.append(began_building.wait(timeout=2))
        began_building.clear()
        return real_check(*args, **kwargs)

    monkeypatch.setattr(outbox, "_rendered", recording)
    monkeypatch.setattr(outbox, "_start_transmitting", checking)
    rows = put(harbour, 3, headers={"List-Id": "<news.example.org>"})
    assert outbox.drain().sent == 3
    assert len(built_on) == 3 and all(name.startswith("outbox-render") for name in built_on)
    assert while_checking == [True, True, True]
    by_id = {str(message["Message-ID"]): message for message in smtp.messages}
    assert set(by_id) == {row.message_id for row in rows}
    assert all(message["List-Id"] == "<news.example.org>" and message["Date"] for message in by_id.values())
    assert {str(message["From"]) for message in smtp.messages} == {f"{harbour.sender_name} <{harbour.sender_email}>"}


def test_the_bytes_built_ahead_are_the_bytes_djangos_backend_would_send(harbour):
    """``_rendered`` repeats the backend's ``_send``: held against the installed Django, so that an upgrade
    which changes what the backend sends fails here rather than in someone's inbox."""
    import random

    row = put(harbour, 1, headers={"Date": "Tue, 01 Dec 2026 09:00:00 -0000", "List-Id": "<news.example.org>"})[0]
    row.to_email = "Zoë Ünal <zoe@exämple.net>"
    message = outbox.build_message(row, text="Plain text ✓", html="<p>HTML ✓</p>", headers=dict(row.headers))

    class Capture:
        def sendmail(self, *args):
            self.args = args

    backend = DjangoSMTPBackend()
    backend.connection = Capture()
    random.seed(7)  # the MIME boundary
    assert backend._send(message)
    random.seed(7)
    assert outbox._rendered(message) == (
        backend.connection.args[0],
        backend.connection.args[1],
        backend.connection.args[2],
    )


class StampingBackend(DjangoSMTPBackend):
    """A subclass of Django's SMTP backend that does something of its own as it sends (as DKIM signing would)."""

    def send_messages(self, email_messages):
        for message in email_messages:
            message.extra_headers["X-Stamped"] = "yes"
        return super().send_messages(email_messages)


def test_a_subclass_of_the_smtp_backend_sends_each_message_itself(harbour, smtp, settings):
    """Only Django's own SMTP backend has its message built ahead; a subclass's ``send_messages`` runs."""
    settings.EMAIL_BACKEND = f"{__name__}.StampingBackend"
    put(harbour, 2)
    assert outbox.drain().sent == 2
    assert [message["X-Stamped"] for message in smtp.messages] == ["yes", "yes"]


def test_a_message_that_cannot_be_built_is_held_back_and_the_rest_of_the_claim_goes(harbour, smtp):
    """An error building one message on the render thread is that message's, as from the backend."""
    put(harbour, 1, prefix="broken", headers={"X-Note": "two\nlines"})
    put(harbour, 2)
    report = outbox.drain()
    assert (report.sent, report.deferred) == (2, 1)
    broken = OutboundEmail.objects.get(to_email="broken0@example.net")
    assert broken.status == EmailStatus.DEFERRED and "BadHeaderError" in broken.last_error
    assert broken.transmitting_since is None and broken.lease_token == ""
    assert smtp.received_by() == {"person0@example.net": 1, "person1@example.net": 1}


def test_a_454_defers_with_backoff_and_sends_once_the_server_recovers(harbour, smtp):
    put(harbour, 3)
    smtp.data_reply = "454 4.7.0 Try again later"
    report = outbox.drain()
    assert report.deferred == 3 and report.sent == 0
    rows = list(OutboundEmail.objects.all())
    assert all(r.status == EmailStatus.DEFERRED and r.due_at > timezone.now() for r in rows)
    assert all("454" in r.last_error for r in rows)
    assert outbox.drain().sent == 0  # not due yet
    smtp.data_reply = None
    OutboundEmail.objects.update(due_at=timezone.now() - timedelta(seconds=1))
    assert outbox.drain().sent == 3
    assert smtp.received_by() == {f"person{i}@example.net": 1 for i in range(3)}


def test_a_550_fails_that_address_suppresses_it_and_skips_it_next_time(harbour, smtp):
    smtp.refuse["person1@example.net"] = "550 5.1.1 No such user"
    put(harbour, 3)
    report = outbox.drain()
    assert (report.sent, report.failed) == (2, 1)
    bounced = OutboundEmail.objects.get(to_email="person1@example.net")
    assert bounced.status == EmailStatus.FAILED and "550" in bounced.last_error
    assert Suppression.objects.filter(email="person1@example.net", reason="bounce").exists()
    later = put(harbour, 2, prefix="person", kind="newsletter")  # same keys: nothing new
    assert later[1].pk == bounced.pk
    fresh = outbox.enqueue(
        practice=harbour, key="later", kind="newsletter", to="Person1@Example.net", subject="x", text="x", kick=False
    )
    assert fresh.status == EmailStatus.SUPPRESSED
    outbox.drain()
    assert smtp.received_by().get("person1@example.net") is None


def test_temporary_recipient_refusal_is_retried_not_suppressed(harbour, smtp):
    smtp.refuse["person0@example.net"] = "450 4.2.1 Mailbox busy"
    put(harbour, 1)
    assert outbox.drain().deferred == 1
    assert not Suppression.objects.exists()


def test_an_unreachable_server_loses_nothing_and_pauses_after_repeated_failures(harbour, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    settings.PRACTICE_PAUSE_AFTER_FAILURES = 3
    put(harbour, 4)
    for _ in range(3):
        report = outbox.drain()
        assert report.connection_failed  # one try per drain: a dead server is not hammered
        assert OutboundEmail.objects.filter(due_at__gt=timezone.now()).count() == 4  # back off a little
        OutboundEmail.objects.update(due_at=timezone.now() - timedelta(seconds=1))  # time passes
    assert statuses() == {EmailStatus.PENDING: 4}
    assert set(OutboundEmail.objects.values_list("attempts", flat=True)) == {0}
    state = DeliveryState.objects.get()
    assert state.paused and "mail server" in state.reason
    assert outbox.drain().paused


def test_resuming_after_a_pause_sends_everything_once(harbour, smtp, django_capture_on_commit_callbacks):
    DeliveryState.objects.create(paused=True, reason="test", consecutive_failures=5)
    put(harbour, 5)
    assert outbox.drain().paused
    with django_capture_on_commit_callbacks(execute=True):
        outbox.resume_sending()
    assert smtp.received_by() == {f"person{i}@example.net": 1 for i in range(5)}


@pytest.mark.parametrize(
    ("transmitting", "resend_if_lost", "expected"),
    [
        (False, False, EmailStatus.PENDING),  # never handed to the server: safe to send
        (True, True, EmailStatus.PENDING),  # an invitation in flight: send again
        (True, False, EmailStatus.FAILED),  # a newsletter in flight: never twice
    ],
)
def test_a_row_left_sending_by_a_dead_worker_follows_the_policy(harbour, transmitting, resend_if_lost, expected):
    row = put(harbour, 1, resend_if_lost=resend_if_lost)[0]
    past = timezone.now() - timedelta(minutes=10)
    OutboundEmail.objects.filter(pk=row.pk).update(
        status=EmailStatus.SENDING,
        lease_token="dead",
        lease_expires_at=past,
        transmitting_since=past if transmitting else None,
        attempts=1,
    )
    assert outbox.release_lost() == 1
    row.refresh_from_db()
    assert row.status == expected
    if expected == EmailStatus.FAILED:
        assert "not sent again" in row.last_error


def test_a_live_lease_is_left_alone(harbour):
    row = put(harbour, 1)[0]
    OutboundEmail.objects.filter(pk=row.pk).update(
        status=EmailStatus.SENDING, lease_token="alive", lease_expires_at=timezone.now() + timedelta(minutes=5)
    )
    assert outbox.release_lost() == 0
    assert outbox.drain().sent == 0


def test_a_worker_that_lost_its_lease_cannot_overwrite_the_row(harbour):
    row = put(harbour, 1)[0]
    token, [claimed] = outbox.claim(10)
    OutboundEmail.objects.filter(pk=row.pk).update(lease_token="someone-else")
    assert outbox._mark(claimed, token, status=EmailStatus.SENT) is False
    row.refresh_from_db()
    assert row.status == EmailStatus.SENDING and row.lease_token == "someone-else"


def test_the_send_rate_is_shared_and_held(harbour, smtp, settings):
    from django.core.cache import cache

    cache.clear()
    settings.PRACTICE_SEND_RATE_PER_MINUTE = 4
    put(harbour, 10)
    report = outbox.drain()
    assert report.rate_limited
    assert report.sent <= 4
    assert statuses()[EmailStatus.PENDING] == 10 - report.sent
    assert set(OutboundEmail.objects.filter(status=EmailStatus.PENDING).values_list("attempts", flat=True)) == {0}


def test_retry_puts_failed_rows_back(harbour, smtp, django_capture_on_commit_callbacks):
    smtp.refuse["person0@example.net"] = "550 No such user"
    put(harbour, 1)
    outbox.drain()
    smtp.refuse.clear()
    Suppression.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.retry(OutboundEmail.objects.all()) == 1
    assert OutboundEmail.objects.get().status == EmailStatus.SENT


@pytest.mark.django_db(transaction=True)
def test_two_drains_at_once_send_every_message_exactly_once(postgres, make_practice, smtp):
    practice = make_practice("Concurrent")
    put(practice, 120)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            outbox.drain()
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert smtp.received_by() == {f"person{i}@example.net": 1 for i in range(120)}
    assert statuses() == {EmailStatus.SENT: 120}


def test_an_email_service_provider_backend_works_by_setting_alone(harbour, settings):
    """django-anymail's test backend stands in for any ESP: the outbox needs no code change."""
    from django.core import mail

    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.ANYMAIL = {}
    put(harbour, 2)
    assert outbox.drain().sent == 2
    assert sorted(message.to[0] for message in mail.outbox) == ["person0@example.net", "person1@example.net"]
    assert all(message.extra_headers["Message-ID"] for message in mail.outbox)


@pytest.mark.parametrize(
    "reply",
    ["554 5.7.1 Relay access denied", "530 5.7.0 Authentication required", "550 5.7.1 Client host rejected"],
)
def test_a_server_refusing_us_is_not_mistaken_for_bounces(harbour, smtp, reply, settings):
    settings.PRACTICE_PAUSE_AFTER_FAILURES = 2
    for i in range(3):
        smtp.refuse[f"person{i}@example.net"] = reply
    put(harbour, 3)
    report = outbox.drain()
    assert report.connection_failed and report.failed == 0
    assert not Suppression.objects.exists()
    assert statuses() == {EmailStatus.PENDING: 3}
    assert set(OutboundEmail.objects.values_list("attempts", flat=True)) == {0}
    OutboundEmail.objects.update(due_at=timezone.now())
    assert outbox.drain().paused
    assert "refuses" in DeliveryState.objects.get().reason


def test_messages_whose_worker_died_mid_transmission_are_never_retried(harbour):
    row = put(harbour, 1)[0]
    past = timezone.now() - timedelta(minutes=10)
    OutboundEmail.objects.filter(pk=row.pk).update(
        status=EmailStatus.SENDING, lease_token="dead", lease_expires_at=past, transmitting_since=past, attempts=1
    )
    outbox.release_lost()
    assert outbox.retry(OutboundEmail.objects.all()) == 0
    assert OutboundEmail.objects.get().status == EmailStatus.FAILED


def test_enqueueing_inside_a_failed_transaction_keeps_the_callers_transaction_usable(harbour):
    from django.db import transaction

    first = put(harbour, 1)[0]
    with transaction.atomic():
        again = outbox.enqueue(
            practice=harbour, key=first.idempotency_key, kind="newsletter", to="x@example.net", subject="s", text="t"
        )
        assert again.pk == first.pk
        OutboundEmail.objects.count()  # still usable


def batch_rows(practice, n: int):
    from practice.mail.batches import batch_create

    batch = batch_create(practice=practice, label="News")
    return batch, put(practice, n, prefix="reader", batch=batch)


def test_a_batch_cancelled_after_its_rows_were_claimed_sends_none_of_them(harbour, smtp):
    from practice.mail.batches import batch_cancel

    batch, _rows = batch_rows(harbour, 3)
    token, claimed = outbox.claim(10)
    batch_cancel(batch=batch, reason="Cancelled by staff.")
    report = outbox.DrainReport()
    outbox._send_batch(claimed, token, report, None)
    assert smtp.messages == []
    assert statuses() == {EmailStatus.CANCELLED: 3}


def test_a_paused_batch_is_not_claimed_until_it_resumes(harbour, smtp, django_capture_on_commit_callbacks):
    from practice.mail.batches import batch_pause, batch_resume

    batch, _rows = batch_rows(harbour, 2)
    batch_pause(batch=batch)
    assert outbox.drain().sent == 0
    assert smtp.messages == []
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        batch_resume(batch=batch)
    assert len(callbacks) == 1  # resuming queues a drain, which sends both
    assert smtp.received_by() == {"reader0@example.net": 1, "reader1@example.net": 1}


def test_a_batch_finishes_when_nothing_is_open_and_says_so(harbour, smtp):
    from practice.mail import hooks
    from practice.mail.models import Batch, BatchStatus

    told = []
    hooks.batch_finished.connect(
        lambda sender, batch, **kw: told.append(batch.pk), dispatch_uid="test.finished", weak=False
    )
    try:
        batch, _rows = batch_rows(harbour, 2)
        outbox.drain()
    finally:
        hooks.batch_finished.disconnect(dispatch_uid="test.finished")
    assert Batch.objects.get(pk=batch.pk).status == BatchStatus.FINISHED
    assert told == [batch.pk]


def test_a_finished_batch_reopens_when_its_failures_are_retried(harbour, smtp, django_capture_on_commit_callbacks):
    from practice.mail import hooks
    from practice.mail.models import Batch, BatchStatus

    smtp.refuse["reader0@example.net"] = "550 5.1.1 No such user"
    batch, _rows = batch_rows(harbour, 2)
    outbox.drain()
    assert Batch.objects.get(pk=batch.pk).status == BatchStatus.FINISHED
    smtp.refuse.clear()
    Suppression.objects.all().delete()
    reopened = []
    hooks.batch_reopened.connect(
        lambda sender, batch, **kw: reopened.append(batch.pk), dispatch_uid="test.reopened", weak=False
    )
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert outbox.retry(OutboundEmail.objects.filter(batch=batch)) == 1
    finally:
        hooks.batch_reopened.disconnect(dispatch_uid="test.reopened")
    assert reopened == [batch.pk]
    assert Batch.objects.get(pk=batch.pk).status == BatchStatus.FINISHED  # reopened, sent, finished again
    assert smtp.received_by() == {"reader0@example.net": 1, "reader1@example.net": 1}


def test_a_drain_out_of_time_hands_over_to_a_fresh_task(harbour, smtp, settings, monkeypatch):
    from practice.mail import tasks

    settings.PRACTICE_OUTBOX_BATCH_SIZE = 2
    settings.PRACTICE_DRAIN_TIME_BUDGET_SECONDS = 0.000001
    queued: list[tuple] = []
    monkeypatch.setattr(tasks.drain_outbox, "delay", lambda *args: queued.append(args))
    put(harbour, 5)
    tasks.drain_outbox.run()
    assert queued == [()]
    assert statuses()[EmailStatus.PENDING] >= 3  # it stopped early and asked for a successor


def test_a_drain_ends_within_its_budget_in_the_middle_of_a_claim(harbour, smtp):
    """A slow mail server and a large claim: at the budget's end the messages not yet tried go back, so the
    task ends in time (the broker's visibility timeout is set against the budget), and the next drain
    sends them, each once."""
    put(harbour, 12)
    smtp.delay = 0.2
    report = outbox.drain(budget_seconds=0.5)
    assert report.more
    assert 1 <= report.sent < 12
    assert statuses() == {EmailStatus.SENT: report.sent, EmailStatus.PENDING: 12 - report.sent}
    back = OutboundEmail.objects.filter(status=EmailStatus.PENDING)
    assert set(back.values_list("attempts", "lease_token", "transmitting_since")) == {(0, "", None)}
    smtp.delay = 0
    assert outbox.drain().sent == 12 - report.sent
    assert smtp.received_by() == {f"person{i}@example.net": 1 for i in range(12)}


@pytest.fixture
def minted_links():
    """A personaliser like the questionnaire link's: a fresh URL per send, None once not wanted."""
    issued: list[str] = []

    def mint(object_id: int) -> str | None:
        if object_id == 0:
            return None
        issued.append(f"https://practice.example.org/q/{object_id}-{len(issued)}&x=1")
        return issued[-1]

    hooks.register_personaliser("test.link", mint)
    yield issued
    hooks._PERSONALISERS.pop("test.link", None)


def test_a_private_link_is_filled_in_at_send_time_and_never_stored(harbour, smtp, minted_links):
    row = outbox.enqueue(
        practice=harbour,
        key="invite:7",
        kind="invitation",
        to="cara@example.net",
        subject="A questionnaire from Harbour Light",
        text=f"Open {outbox.LINK_PLACEHOLDER} to start.",
        html=f'<a href="{outbox.LINK_PLACEHOLDER}">Start</a>',
        personaliser="test.link",
        personalise_id=7,
        kick=False,
    )
    outbox.drain()
    [message] = smtp.messages
    [link] = minted_links
    assert f"Open {link} to start." in message.get_body(preferencelist=("plain",)).get_content()
    assert (
        'href="https://practice.example.org/q/7-0&amp;x=1"' in message.get_body(preferencelist=("html",)).get_content()
    )
    row.refresh_from_db()
    assert link not in row.body_text + row.body_html
    assert outbox.LINK_PLACEHOLDER in row.body_text


def test_a_message_whose_link_is_no_longer_wanted_is_cancelled(harbour, smtp, minted_links):
    outbox.enqueue(
        practice=harbour,
        key="invite:0",
        kind="invitation",
        to="cara@example.net",
        subject="s",
        text=outbox.LINK_PLACEHOLDER,
        personaliser="test.link",
        personalise_id=0,
        kick=False,
    )
    assert outbox.drain().cancelled == 1
    assert smtp.messages == []


def test_an_unknown_personaliser_fails_the_message_clearly(harbour, smtp):
    outbox.enqueue(
        practice=harbour,
        key="x",
        kind="invitation",
        to="a@example.net",
        subject="s",
        text="t",
        personaliser="nobody",
        personalise_id=1,
        kick=False,
    )
    outbox.drain()
    row = OutboundEmail.objects.get()
    assert row.status == EmailStatus.FAILED and "No personaliser named 'nobody'" in row.last_error
    assert smtp.messages == []


def test_a_permanent_refusal_at_the_data_stage_fails_the_message_for_good(harbour, smtp):
    """The server accepts the recipient, then refuses the message itself: no retry, no suppression."""
    put(harbour, 1)
    smtp.data_reply = "554 5.6.0 Message content rejected"
    report = outbox.drain()
    assert (report.failed, report.deferred, report.sent) == (1, 0, 0)
    row = OutboundEmail.objects.get()
    assert row.status == EmailStatus.FAILED and "554" in row.last_error
    assert row.attempts == 1
    smtp.data_reply = None
    OutboundEmail.objects.update(due_at=timezone.now() - timedelta(hours=2))
    assert outbox.drain().sent == 0  # a permanent failure is never picked up again
    assert smtp.messages == []
    assert not Suppression.objects.exists()  # the address is fine; the message was refused


def test_a_claim_walks_the_waiting_rows_in_due_order_through_an_index(postgres, harbour):
    """A large campaign's rows are claimed a batch at a time without sorting them all (a partial index)."""
    now = timezone.now()
    rows = [
        OutboundEmail(
            practice=harbour,
            idempotency_key=f"test:claim:{i}",
            kind="newsletter",
            to_email=f"reader{i}@example.net",
            subject="News",
            body_text="Plain text",
            message_id=f"<claim{i}@example.net>",
            due_at=now - timedelta(seconds=i),
        )
        for i in range(3000)
    ]
    OutboundEmail.objects.bulk_create(rows)
    OutboundEmail.objects.filter(pk__in=[r.pk for r in rows[::2]]).update(status=EmailStatus.SENT)
    outbox._refresh_statistics()
    plan = outbox._due(now).select_for_update(skip_locked=True, of=("self",)).only("pk")[:50].explain()
    assert "outbox_due_idx" in plan and "Sort" not in plan, plan
    _token, claimed = outbox.claim(50, now)
    assert [row.due_at for row in claimed] == sorted(row.due_at for row in claimed)
    assert claimed[0].due_at == min(r.due_at for r in rows[1::2])  # the longest waiting first
