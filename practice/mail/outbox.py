"""The one outbound-mail path: enqueue in the business transaction, drain once, lose nothing.

Sending works in three steps, each its own short transaction:

1. **claim** a small batch of due rows (``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL; on
   SQLite the ``IMMEDIATE`` transaction mode serialises claims, which is safe for one worker),
   marking them *sending* with a lease and a token;
2. **send** them over one SMTP connection;
3. **mark** each row, but only if it still carries our lease token, so a worker that lost its
   lease can never overwrite what another worker did. Just before a message goes, one statement
   checks that it is still wanted and marks it as being handed over; on PostgreSQL the same statement
   marks the batch message before it sent (``_Delivered``, ``_mark_sent_and_start``).

Messages sent together (a newsletter issue) share a ``Batch``, paused, cancelled and finished as one
(``practice.mail.batches``). Whether a message is still wanted, and its private link, are asked at send
time of the hook that queued it (``practice.mail.hooks``); the outbox itself knows only messages.

A row still *sending* after its lease expired belonged to a worker that died. If the worker had
not yet handed it to the mail server (``transmitting_since`` unset) it was never sent and simply
goes back to pending. The one message a dead worker was transmitting is uncertain: SMTP cannot
tell whether it arrived. Policy: rows made with ``resend_if_lost`` (invitations: a missing link
is worse than a second one) go back to pending; all others (newsletters, reminders) become
permanent failures, so nobody gets two.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import random
import re
import smtplib
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.mime.text import MIMEText
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as DjangoSMTPBackend
from django.core.mail.message import sanitize_address
from django.db import DatabaseError, IntegrityError, transaction
from django.db import connection as db_connection
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import Exists, F, JSONField, Min, OuterRef
from django.utils import timezone
from django.utils.html import escape

from practice.mail import app_settings, hooks
from practice.mail.batches import STOPPED, batches_finish, batches_reopen
from practice.mail.models import (
    Batch,
    BatchStatus,
    DeliveryState,
    EmailKind,
    EmailStatus,
    OutboundEmail,
    Suppression,
    SuppressionReason,
)
from practice.models import Practice

logger = logging.getLogger(__name__)

TEMPORARY_CODES = {421, 450, 451, 452, 454}
LINK_PLACEHOLDER = hooks.LINK_PLACEHOLDER
RECIPIENT_PLACEHOLDER = hooks.RECIPIENT_PLACEHOLDER
PersonaliseError = hooks.PersonaliseError
CANCELLED_MESSAGE = "Its batch was cancelled before this was sent."
UNWANTED_MESSAGE = "No longer wanted when it was due to be sent."
SUPPRESSED_MESSAGE = "The address was suppressed before sending."
#: Starts the note on rows held back while the mail server as a whole was failing; resuming sends them at once.
BACKED_OFF = "Held back: the mail server was failing."
LOST_MESSAGE = (
    "The worker stopped while sending this message. It was not sent again, so that nobody receives it "
    "twice; it may or may not have been delivered."
)


@dataclass
class DrainReport:
    sent: int = 0
    deferred: int = 0
    failed: int = 0
    cancelled: int = 0
    released: int = 0
    skipped: int = 0
    suppressed: int = 0
    rate_limited: bool = False
    connection_failed: bool = False
    more: bool = False
    paused: bool = False
    #: Temporary (4xx) refusals since the last message that went, across recipients and batches.
    temporary_in_a_row: int = 0
    #: Set when the first claim was full and more rows were due (``on_more_work`` was called).
    fan_out: bool = False


def enqueue(
    *,
    practice: Practice,
    key: str,
    kind: str,
    to: str,
    subject: str,
    text: str,
    html: str = "",
    headers: dict[str, str] | None = None,
    due_at: datetime | None = None,
    resend_if_lost: bool = False,
    batch: Batch | None = None,
    personaliser: str = "",
    personalise_id: int | None = None,
    attachments: list[dict[str, str]] | None = None,
    kick: bool = True,
) -> OutboundEmail:
    """Put one message in the outbox, once per ``key``; the drain starts after the transaction commits."""
    existing = OutboundEmail.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    suppressed = Suppression.objects.filter(practice=practice, email=to).exists()
    fields = dict(
        practice=practice,
        idempotency_key=key,
        kind=EmailKind(kind),
        to_email=to,
        subject=" ".join(subject.split())[:300],
        body_text=text,
        body_html=html,
        headers=headers or {},
        message_id=new_message_id(practice),
        status=EmailStatus.SUPPRESSED if suppressed else EmailStatus.PENDING,
        due_at=due_at or timezone.now(),
        resend_if_lost=resend_if_lost,
        batch=batch,
        personaliser=personaliser,
        personalise_id=personalise_id,
        attachments=attachments or [],
    )
    try:
        with transaction.atomic():  # a savepoint: a concurrent twin with the same key must not break our caller
            row = OutboundEmail.objects.create(**fields)
    except IntegrityError:
        return OutboundEmail.objects.get(idempotency_key=key)
    if kick and not suppressed:
        kick_drain()
    return row


#: A write of at least this many rows refreshes the outbox's planner statistics (``enqueue_many``).
ANALYZE_AFTER_ROWS = 5000


def enqueue_many(rows: Iterable[OutboundEmail], *, into_new_batch: Batch | None = None, chunk: int = 2000) -> int:
    """Write many unsaved rows at once (a newsletter's recipients). No drain is queued.

    Returns how many were written (without COPY, as on SQLite, how many were offered).

    On PostgreSQL the rows are streamed with ``COPY … FROM STDIN``: set-based, one statement instead of
    a hundred multi-row INSERTs for a hosted practice's list of 100,000: ``bench/materialise.py`` measures
    it about three times faster than ``bulk_create`` (6.6 s against 20.7 s for 100,000 rows, idle machine).
    The values are still prepared by each model field
    (``pre_save``/``get_db_prep_save``), as the ORM would, once per distinct value. Rows for a batch
    that has none yet (``into_new_batch``) are copied straight into the outbox; otherwise through a
    temporary table and ``INSERT … SELECT … ON CONFLICT DO NOTHING``. Elsewhere ``bulk_create`` in
    chunks. Either way an existing ``idempotency_key`` is left alone (or, copied straight, refused
    with the whole transaction), so writing the same rows twice never sends twice. ``rows`` must not
    query the database while it is read (the connection is busy with the COPY).
    """
    if db_connection.vendor != "postgresql":
        total, pending = 0, []
        for row in rows:
            pending.append(row)
            if len(pending) >= chunk:
                total += len(OutboundEmail.objects.bulk_create(pending, ignore_conflicts=True))
                pending = []
        if pending:
            total += len(OutboundEmail.objects.bulk_create(pending, ignore_conflicts=True))
        return total
    fields = [field for field in OutboundEmail._meta.concrete_fields if not field.primary_key]
    columns = ", ".join(db_connection.ops.quote_name(field.column) for field in fields)
    table = db_connection.ops.quote_name(OutboundEmail._meta.db_table)
    straight = into_new_batch is not None and not OutboundEmail.objects.filter(batch=into_new_batch).exists()
    target = table if straight else "outbox_incoming"
    total = 0
    # Each value is prepared by its field only when it differs from the row before's (most are the same for
    # a whole campaign): a JSON value is compared as its JSON text (``{"a": 1} == {"a": True}`` in Python),
    # and every row of one write gets one creation time, as PostgreSQL's ``now()`` would. Before, each row's
    # JSON values and time were prepared anew: ``bench/materialise.py``, 100,000 rows, runs in turn, 9.4-10.6 s
    # before and 8.7-9.0 s after.
    raw: list[object] = [object()] * len(fields)
    prepared: list[object] = [None] * len(fields)
    stamped = {
        i
        for i, field in enumerate(fields)
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    }
    documents = {i for i, field in enumerate(fields) if isinstance(field, JSONField)}
    stamp = timezone.now()
    with transaction.atomic(), db_connection.cursor() as cursor:
        if not straight:
            cursor.execute(
                f"CREATE TEMPORARY TABLE outbox_incoming ON COMMIT DROP AS SELECT {columns} FROM {table} WITH NO DATA"  # noqa: S608 - our own table and column names only
            )
        with cursor.cursor.copy(f"COPY {target} ({columns}) FROM STDIN") as copy:
            for row in rows:
                for index, field in enumerate(fields):
                    if index in stamped:
                        setattr(row, field.attname, stamp)
                        value = stamp
                    else:
                        value = field.pre_save(row, True)
                    seen = json.dumps(value, cls=field.encoder) if index in documents else value
                    if seen is not raw[index] and seen != raw[index]:
                        raw[index], prepared[index] = seen, field.get_db_prep_save(value, db_connection)
                copy.write_row(prepared)
                total += 1
        written = total
        if not straight:
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM outbox_incoming ON CONFLICT DO NOTHING"  # noqa: S608 - our own names
            )
            written = cursor.rowcount if cursor.rowcount >= 0 else total
            cursor.execute("DROP TABLE outbox_incoming")
    if written >= ANALYZE_AFTER_ROWS:
        transaction.on_commit(_refresh_statistics)
    return written


def _refresh_statistics() -> None:
    """Fresh planner statistics for the outbox once a large write commits, not at autovacuum's next visit.

    Until then the planner believes the table holds a few waiting rows and sorts all 100,000 for every claim
    (about 50 ms a claim of 50, ``bench/newsletter_profile.py``) instead of reading them in order through
    ``outbox_due_idx``. After the commit, so that no lock is held in the caller's transaction; with a short
    lock timeout, so that a vacuum holding the table makes it give up rather than wait (autovacuum's own
    analyze follows soon enough).
    """
    table = db_connection.ops.quote_name(OutboundEmail._meta.db_table)
    try:
        with transaction.atomic(), db_connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '2s'")
            cursor.execute(f"ANALYZE {table}")
    except DatabaseError as exc:
        logger.warning("Outbox: could not refresh the planner's statistics: %s", exc)


def new_message_id(practice: Practice) -> str:
    domain = practice.sender_email.rpartition("@")[2] or "tandem.invalid"
    return make_msgid(idstring=uuid.uuid4().hex[:12], domain=domain)


def kick_drain(*, batches: int = 1) -> None:
    """Queue a drain once the current transaction commits, and extra ones for up to ``batches`` batches.

    The extras (bounded by ``PRACTICE_DRAIN_FANOUT``) let every worker process take part at once.
    """
    from practice.mail.tasks import queue_drains

    # robust: a broker outage must not turn the caller's committed work into an error; beat drains anyway.
    transaction.on_commit(lambda: queue_drains(batches), robust=True)


def more_due(now: datetime | None = None) -> bool:
    """Whether rows are due that no drain has claimed yet (one indexed EXISTS)."""
    return _due(now or timezone.now()).exists()


def _due(now: datetime):
    return (
        OutboundEmail.objects.filter(status__in=[EmailStatus.PENDING, EmailStatus.DEFERRED], due_at__lte=now)
        .exclude(batch__status__in=STOPPED)
        .order_by("due_at", "pk")
    )


def release_lost(now: datetime | None = None) -> int:
    """Apply the stated policy to rows whose worker died mid-send; returns how many were resolved."""
    now = now or timezone.now()
    lost = OutboundEmail.objects.filter(status=EmailStatus.SENDING, lease_expires_at__lt=now)
    back = {"lease_expires_at": None, "lease_token": "", "transmitting_since": None}
    cancelled = lost.filter(transmitting_since__isnull=True, batch__status=BatchStatus.CANCELLED).update(
        status=EmailStatus.CANCELLED, last_error=CANCELLED_MESSAGE, **back
    )
    untouched = lost.filter(transmitting_since__isnull=True).update(status=EmailStatus.PENDING, due_at=now, **back)
    uncertain = lost.filter(transmitting_since__isnull=False)
    resent = uncertain.filter(resend_if_lost=True).update(status=EmailStatus.PENDING, due_at=now, **back)
    failed = uncertain.filter(resend_if_lost=False).update(status=EmailStatus.FAILED, last_error=LOST_MESSAGE, **back)
    return cancelled + untouched + resent + failed


def claimable(now: datetime, *, single: bool):
    """The due rows a claim locks, in due order: messages to one person, or a batch's. Each reads its own
    partial index (``outbox_due_single_idx``, ``outbox_due_idx``), so a claim never sorts a campaign."""
    due = _due(now).filter(batch__isnull=single)
    if db_connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True, of=("self",))
    return due.only("pk")


def claim(batch: int, now: datetime | None = None) -> tuple[str, list[OutboundEmail]]:
    """Lease up to ``batch`` due rows to this worker; returns the lease token and the rows."""
    now = now or timezone.now()
    token = uuid.uuid4().hex
    with transaction.atomic():
        # Messages to one person (an invitation, an appointment's confirmation) go before any batch's, so a
        # campaign to 100,000, this practice's or another's on the same host, never holds them back for the
        # minutes it takes.
        ids = [row.pk for row in claimable(now, single=True)[:batch]]
        if len(ids) < batch:
            ids += [row.pk for row in claimable(now, single=False)[: batch - len(ids)]]
        if not ids:
            return token, []
        OutboundEmail.objects.filter(pk__in=ids).update(
            status=EmailStatus.SENDING,
            transmitting_since=None,
            lease_token=token,
            lease_expires_at=now + timedelta(seconds=app_settings.outbox_lease_seconds()),
            attempts=F("attempts") + 1,
        )
    rows = list(
        OutboundEmail.objects.filter(pk__in=ids, lease_token=token)
        # The practice and a newsletter's body (its batch's) are read once per claim and shared by its
        # rows, where ``select_related`` would build them again for each of the 200.
        .prefetch_related("practice", "batch")
        .order_by(F("batch_id").asc(nulls_first=True), "due_at", "pk")
    )
    return token, rows


#: What a row we let go of no longer carries: our lease, and the moment it was handed over.
RELEASED = {"lease_token": "", "lease_expires_at": None, "transmitting_since": None}


def _sent(at: datetime | None) -> dict[str, Any]:
    """The changes that mark a row sent: written by ``_mark`` and by the send statement's ``WITH sent``."""
    return {"status": EmailStatus.SENT, "sent_at": at, "last_error": "", **RELEASED}


def _mark(row: OutboundEmail, token: str, **changes: Any) -> bool:
    """Update a row we still hold; False when our lease was lost to another worker."""
    changes = {**RELEASED, **changes}
    return bool(
        OutboundEmail.objects.filter(pk=row.pk, status=EmailStatus.SENDING, lease_token=token).update(**changes)
    )


def _retry_delay(attempts: int) -> timedelta:
    base = app_settings.outbox_retry_base_seconds()
    delay = min(base * 2 ** max(attempts - 1, 0), 3600)
    return timedelta(seconds=delay * random.uniform(0.5, 1.5))  # noqa: S311 - jitter, not security


def _defer(row: OutboundEmail, token: str, error: str, now: datetime) -> str:
    if row.attempts >= app_settings.outbox_max_attempts():
        _mark(row, token, status=EmailStatus.FAILED, last_error=f"Gave up after {row.attempts} attempts: {error}")
        return "failed"
    _mark(row, token, status=EmailStatus.DEFERRED, last_error=error, due_at=now + _retry_delay(row.attempts))
    return "deferred"


def _give_back(
    rows: list[OutboundEmail], token: str, now: datetime, delay: timedelta = timedelta(0), note: str | None = None
) -> None:
    """Return claimed rows we did not try, without counting an attempt (rows of cancelled batches end)."""
    held = OutboundEmail.objects.filter(pk__in=[r.pk for r in rows], status=EmailStatus.SENDING, lease_token=token)
    held.filter(batch__status=BatchStatus.CANCELLED).update(
        status=EmailStatus.CANCELLED, lease_token="", lease_expires_at=None, transmitting_since=None
    )
    held.update(
        status=EmailStatus.PENDING,
        lease_token="",
        lease_expires_at=None,
        transmitting_since=None,
        attempts=F("attempts") - 1,
        due_at=now + delay,
        **({} if note is None else {"last_error": note}),
    )


def stored_parts(row: OutboundEmail) -> tuple[str, str, dict[str, str]]:
    """The text, HTML and headers as stored: the row's own or, when it has none, its batch's shared body with
    the row's address put in (private links are still placeholders)."""
    if row.body_text or row.body_html or row.batch_id is None:
        return row.body_text, row.body_html, row.headers
    batch = row.batch
    return _filled(batch.body_text, batch.body_html, batch.headers, {RECIPIENT_PLACEHOLDER: row.to_email})


def _filled(text: str, html: str, headers: dict[str, str], values: dict[str, str]) -> tuple[str, str, dict[str, str]]:
    for placeholder, value in values.items():
        text, html = text.replace(placeholder, value), html.replace(placeholder, escape(value))
        headers = {name: header.replace(placeholder, value) for name, header in headers.items()}
    return text, html, headers


def personalised(row: OutboundEmail) -> tuple[str, str, dict[str, str]] | None:
    """The text, HTML and headers to send: the stored ones with their private links filled in, or None to cancel.

    The personaliser answers the URL for ``LINK_PLACEHOLDER``, or a mapping of placeholders to what replaces
    them (a newsletter's unsubscribe token, in its links and its ``List-Unsubscribe`` header).
    """
    text, html, headers = stored_parts(row)
    if not row.personaliser:
        return text, html, headers
    filled = hooks.personaliser(row.personaliser)(row.personalise_id)
    if filled is None:
        return None
    return _filled(text, html, dict(headers), {LINK_PLACEHOLDER: filled} if isinstance(filled, str) else filled)


def build_message(
    row: OutboundEmail,
    connection=None,
    *,
    text: str | None = None,
    html: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMultiAlternatives:
    if text is None or html is None or headers is None:
        stored_text, stored_html, stored_headers = stored_parts(row)
        text = stored_text if text is None else text
        html = stored_html if html is None else html
        headers = stored_headers if headers is None else headers
    message = EmailMultiAlternatives(
        subject=row.subject,
        body=text,
        from_email=row.practice.from_email,
        to=[row.to_email],
        headers={**headers, "Message-ID": row.message_id},
        connection=connection,
    )
    if html:
        message.attach_alternative(html, "text/html")
    for attachment in row.attachments:
        message.attach(_text_attachment(attachment))
    return message


def _text_attachment(attachment: dict[str, str]) -> MIMEText:
    """A stored text attachment as a MIME part; its ``mimetype`` may carry parameters (``text/calendar; method=…``)."""
    mimetype, *params = (part.strip() for part in attachment["mimetype"].split(";"))
    part = MIMEText(attachment["content"], mimetype.partition("/")[2], "utf-8")
    for param in params:
        name, _, value = param.partition("=")
        part.set_param(name.strip(), value.strip().strip('"'))
    part.add_header("Content-Disposition", "attachment", filename=attachment["filename"])
    return part


def _rate_allows() -> bool:
    """Take one slot of this minute's sending budget, shared by all workers through the cache."""
    limit = app_settings.send_rate_per_minute()
    if limit <= 0:
        return True
    key = f"practice:outbox:rate:{int(time.time() // 60)}"
    cache.add(key, 0, timeout=120)
    try:
        used = cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.add(key, 1, timeout=120)
        used = 1
    return used <= limit


def _connection_failed(error: str) -> tuple[bool, int]:
    """Count a failure of the connection as a whole; (whether that pauses sending, failures in a row)."""
    DeliveryState.objects.get_or_create(singleton=True)
    DeliveryState.objects.filter(singleton=True).update(consecutive_failures=F("consecutive_failures") + 1)
    state = DeliveryState.objects.get(singleton=True)
    if not state.paused and state.consecutive_failures >= app_settings.pause_after_failures():
        DeliveryState.objects.filter(singleton=True).update(
            paused=True,
            paused_at=timezone.now(),
            reason=f"Paused after {state.consecutive_failures} failures of the mail server in a row: {error}",
        )
        logger.error("Outbox paused after %s connection failures: %s", state.consecutive_failures, error)
        return True, state.consecutive_failures
    return False, state.consecutive_failures


def _back_off(rows: list[OutboundEmail], token: str, report: DrainReport, error: str) -> None:
    """The connection as a whole is failing: count it, give the untried rows back for later, stop this drain.

    The delay doubles with each failure in a row (from ``backoff_seconds``, at most ten minutes); past
    ``pause_after_failures`` sending pauses and the front page tells the staff until they resume it.
    """
    paused, failures = _connection_failed(error)
    delay = min(app_settings.backoff_seconds() * 2 ** max(failures - 1, 0), 600)
    _give_back(rows, token, timezone.now(), delay=timedelta(seconds=delay), note=f"{BACKED_OFF} {error}")
    report.connection_failed = True
    report.paused = report.paused or paused


def retry(queryset) -> int:
    """Send failed or deferred rows again now; a finished batch reopens for them.

    Left alone: sent, cancelled and suppressed rows, rows of cancelled batches, and rows whose
    worker died while transmitting them (they may have arrived).
    """
    retryable = (
        queryset.filter(status__in=[EmailStatus.FAILED, EmailStatus.DEFERRED])
        .exclude(last_error=LOST_MESSAGE)  # may have arrived: never risk a second copy
        .exclude(batch__status=BatchStatus.CANCELLED)
    )
    reopened = list(retryable.filter(batch__status=BatchStatus.FINISHED).values_list("batch_id", flat=True))
    count = retryable.update(
        status=EmailStatus.PENDING, due_at=timezone.now(), attempts=0, lease_token="", lease_expires_at=None
    )
    batches_reopen(reopened)
    if count:
        kick_drain()
    return count


def resume_sending() -> None:
    """Staff resume: what was held back while the mail server was failing goes now, not after its back-off."""
    DeliveryState.objects.update_or_create(
        singleton=True, defaults={"paused": False, "reason": "", "paused_at": None, "consecutive_failures": 0}
    )
    now = timezone.now()
    held = OutboundEmail.objects.filter(
        status__in=[EmailStatus.PENDING, EmailStatus.DEFERRED], last_error__startswith=BACKED_OFF, due_at__gt=now
    )
    held.update(due_at=now)
    kick_drain(batches=app_settings.drain_fanout() + 1)


def sending_paused() -> DeliveryState | None:
    state = DeliveryState.objects.filter(singleton=True, paused=True).first()
    return state


def drain(
    *,
    now: datetime | None = None,
    budget_seconds: float | None = None,
    on_more_work: Callable[[], object] | None = None,
) -> DrainReport:
    """Send what is due until nothing is, the time budget ends, the rate limit bites or sending pauses.

    ``on_more_work`` is called once, when the first claim is full and more rows are due: the task
    queues drains for the other workers then, not after this one is done.
    """
    report = DrainReport()
    if sending_paused():
        report.paused = True
        return report
    report.released = release_lost(now)
    deadline = time.monotonic() + (budget_seconds or app_settings.drain_time_budget_seconds())
    claims = 0
    while True:
        if time.monotonic() >= deadline:
            report.more = True  # out of time, perhaps not of work: the task hands over to a fresh one
            break
        size = app_settings.outbox_batch_size()
        token, rows = claim(size, now)
        if not rows:
            break
        logger.info("Outbox: claimed %s messages (lease %s)", len(rows), token[:8])
        if claims == 0 and on_more_work is not None and len(rows) == size and more_due(now):
            report.fan_out = True
            on_more_work()
        claims += 1
        _send_batch(rows, token, report, now, deadline=deadline)
        if report.more or report.rate_limited or report.paused or report.connection_failed:
            break  # a failing server is tried again on the next drain, not hammered in a loop
    batches_finish()
    return report


def next_run_in(now: datetime | None = None) -> float | None:
    """Seconds until a drain next has something to do (a deferred retry, a lease running out), or None."""
    now = now or timezone.now()
    waiting = (
        OutboundEmail.objects.filter(status__in=[EmailStatus.PENDING, EmailStatus.DEFERRED])
        .exclude(batch__status__in=STOPPED)
        .aggregate(at=Min("due_at"))["at"]
    )
    lease = OutboundEmail.objects.filter(status=EmailStatus.SENDING).aggregate(at=Min("lease_expires_at"))["at"]
    times = [at for at in (waiting, lease) if at is not None]
    if not times:
        return None
    return max((min(times) - now).total_seconds(), 0.0)


@contextlib.contextmanager
def heartbeat(token: str):
    """While the block runs, renew the lease of the rows we hold, from a thread with its own connection.

    So a lease can be short: it lapses only when the worker is gone. Inside a transaction (a test) a
    second connection could not see our rows, and the send loop's own renewals must do.
    """
    if db_connection.in_atomic_block:
        yield
        return
    stop = threading.Event()
    lease = app_settings.outbox_lease_seconds()

    held = OutboundEmail.objects.filter(lease_token=token, status=EmailStatus.SENDING)
    if db_connection.features.has_select_for_update_skip_locked:
        # Past the rows the send loop is updating: its statement renews its own row's lease, and two
        # statements each locking rows of the same claim could otherwise deadlock.
        held = OutboundEmail.objects.filter(pk__in=held.select_for_update(skip_locked=True).order_by().values("pk"))

    def beat() -> None:
        try:
            while not stop.wait(max(lease / 3, 0.2)):
                with transaction.atomic():  # which SELECT … FOR UPDATE needs, even as a subquery
                    held.update(lease_expires_at=timezone.now() + timedelta(seconds=lease))
        except DatabaseError as exc:
            logger.warning("Outbox heartbeat stopped: %s", exc)
        finally:
            db_connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"outbox-heartbeat-{token[:8]}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


def _send_batch(
    rows: list[OutboundEmail], token: str, report: DrainReport, now: datetime | None, *, deadline: float | None = None
) -> None:
    """Send claimed rows over one connection; whether each is still wanted is asked just before it goes.

    At ``deadline`` (``time.monotonic()``, the drain's time budget) the rows not yet tried go back, so a
    drain ends within its budget however large its claim and however slow the mail server: the broker's
    visibility timeout is set against that budget (``practice.mail.checks``).
    """
    with heartbeat(token):
        _send_claimed(rows, token, report, now, deadline)


class _Delivered:
    """A batch's message handed to the server, whose "sent" mark rides on the next message's check.

    On PostgreSQL that makes each of a newsletter's messages one statement, not two (``_mark_sent_and_start``).
    Only a batch's messages wait so, and only there: between delivery and the mark lies building the next
    message (its unsubscribe token: nothing that touches the database). A worker that dies in between leaves
    the message uncertain, and a batch's uncertain messages are never sent again. A message to one person is
    marked at once: its personaliser may write, and an uncertain invitation is sent again.
    """

    def __init__(self, token: str) -> None:
        self.token = token
        self.row: OutboundEmail | None = None
        self.at: datetime | None = None
        self.holds = db_connection.vendor == "postgresql"

    def record(self, row: OutboundEmail) -> None:
        """``row`` went: mark it sent now, or hold the mark for the next statement."""
        self.flush()
        if row.batch_id is not None and self.holds:
            self.row, self.at = row, timezone.now()
        else:
            _mark(row, self.token, **_sent(timezone.now()))

    def clear(self) -> None:
        self.row = self.at = None

    def flush(self) -> None:
        if self.row is not None:
            _mark(self.row, self.token, **_sent(self.at))
            self.clear()


def _send_claimed(
    rows: list[OutboundEmail], token: str, report: DrainReport, now: datetime | None, deadline: float | None
) -> None:
    wanted = rows
    delivered = _Delivered(token)
    smtp = get_connection()
    try:
        smtp.open()
    except (smtplib.SMTPException, OSError) as exc:
        logger.warning("Outbox: %s", exc)
        _back_off(wanted, token, report, f"Cannot reach the mail server: {type(exc).__name__}")
        return
    sent_before = report.sent
    storm = app_settings.storm_after_temporary_failures()
    renderer = ThreadPoolExecutor(1, thread_name_prefix="outbox-render") if type(smtp) is DjangoSMTPBackend else None
    try:
        for index, row in enumerate(wanted):
            if deadline is not None and time.monotonic() >= deadline:
                report.more = True  # the task hands over to a fresh drain, which claims these again
                _give_back(wanted[index:], token, timezone.now())
                return
            if not _rate_allows():
                report.rate_limited = True
                _give_back(wanted[index:], token, timezone.now())
                return
            outcome = _send_one(smtp, row, token, now or timezone.now(), delivered, renderer)
            if outcome == "config":
                # The server refuses us, not the recipient (relay denied, authentication needed):
                # nothing in this batch can go, and repeated refusals pause sending.
                _back_off(wanted[index:], token, report, row.last_error)
                return
            setattr(report, outcome, getattr(report, outcome) + 1)
            if outcome == "sent":
                report.temporary_in_a_row = 0
            elif outcome == "deferred":
                report.temporary_in_a_row += 1
                if row.last_error.startswith("connection:"):
                    _back_off(wanted[index + 1 :], token, report, row.last_error)
                    return
                if storm and report.temporary_in_a_row >= storm:
                    # Recipient after recipient refused for now (a 454 storm): the server is the trouble.
                    error = f"{report.temporary_in_a_row} temporary refusals in a row, the last: {row.last_error}"
                    report.temporary_in_a_row = 0
                    _back_off(wanted[index + 1 :], token, report, error)
                    return
    finally:
        if renderer is not None:
            renderer.shutdown()
        with contextlib.suppress(smtplib.SMTPException, OSError):
            smtp.close()
        try:
            delivered.flush()
            if report.sent > sent_before:
                DeliveryState.objects.filter(singleton=True, consecutive_failures__gt=0).update(consecutive_failures=0)
        except DatabaseError:
            # Not to hide why the loop ended; a row left unmarked is settled by ``release_lost``.
            logger.exception("Outbox: could not record what was sent")


def _start_transmitting(row: OutboundEmail, token: str, delivered: _Delivered | None = None) -> str | None:
    """Mark this row as being handed to the server now, if it is still ours and still wanted; None to go ahead.

    One conditional UPDATE, the last statement before the message goes: our lease must be live, its batch
    neither paused nor cancelled, its address not suppressed, and (when its personaliser gives a
    ``still_wanted`` queryset) its object still wanted. When it matches nothing, ``_refused`` says why and
    settles the row. On PostgreSQL the same statement marks sent the batch message delivered before it, if
    any (``_Delivered``).
    """
    now = timezone.now()
    lease = now + timedelta(seconds=app_settings.outbox_lease_seconds())
    delivered = delivered or _Delivered(token)
    if delivered.holds:
        started = _mark_sent_and_start(token, row, now, lease, delivered)
    else:
        held = _still_wanted_rows(token, row.personaliser).filter(pk=row.pk, lease_expires_at__gt=now)
        started = bool(held.update(transmitting_since=now, lease_expires_at=lease))
    if started:
        return None
    return _refused(row, token, now, hooks.still_wanted(row.personaliser) if row.personaliser else None)


def _mark_sent_and_start(token: str, row: OutboundEmail, now: datetime, lease: datetime, delivered: _Delivered) -> bool:
    """One statement: the message delivered before (if any) marked sent, this one marked as going if still wanted.

    Raw SQL, because the ORM has no form for two UPDATEs in one statement (PostgreSQL's data-modifying
    ``WITH``). A statement is a round trip to a server that has sat idle while the SMTP server worked, and
    the ORM's compiling of it: one a message instead of two took one worker from 26 % to about 40 % of a
    bare SMTP loop (``bench/newsletter.py``). Its text is built once per claim (``_send_statement``). The
    held mark is let go only once the statement has run. Returns whether this row may go.
    """
    try:
        sql, wanted_params = _send_statement(token, row.personaliser)
    except EmptyResultSet:  # the personaliser wants none of its objects
        delivered.flush()
        return False
    done = delivered.row
    with _server_bound_cursor() as cursor:
        cursor.execute(
            sql,
            [
                *_sent(delivered.at).values(),
                done.pk if done is not None else None,
                EmailStatus.SENDING,
                token,
                now,
                lease,
                row.pk,
                now,
                *wanted_params,
            ],
        )
        delivered.clear()
        return cursor.rowcount == 1


@functools.lru_cache(maxsize=64)
def _send_statement(token: str, personaliser: str) -> tuple[str, tuple]:
    """The SQL of ``_mark_sent_and_start`` and its subquery's parameters, once per claim and kind of message.

    Raw SQL because the ORM cannot put two UPDATEs in one statement (PostgreSQL's data-modifying ``WITH``),
    and one statement a message instead of two is the measured need: one worker went from 26 % to about
    40 % of a bare SMTP loop (``bench/newsletter.py``; bench/README.md, "Second pass"). Building this text
    once per claim rather than per message saves rebuilding the column names for each message (a few
    microseconds). Which rows are still wanted is the ORM's own query (``_still_wanted_rows``) as a subquery of ids; the
    "sent" changes are ``_sent``'s, the same that ``_mark`` writes. Raises ``EmptyResultSet`` when the
    personaliser wants none of its objects.
    """
    wanted_sql, wanted_params = _still_wanted_rows(token, personaliser).order_by().values("pk").query.sql_with_params()
    quote = db_connection.ops.quote_name
    column = {field.name: quote(field.column) for field in OutboundEmail._meta.concrete_fields}
    table = quote(OutboundEmail._meta.db_table)
    sent = ", ".join(f"{column[name]} = %s" for name in _sent(None))
    sql = f"""
        WITH sent AS (
            UPDATE {table} SET {sent}
            WHERE {column["id"]} = %s AND {column["status"]} = %s AND {column["lease_token"]} = %s
        )
        UPDATE {table} SET {column["transmitting_since"]} = %s, {column["lease_expires_at"]} = %s
        WHERE {column["id"]} = %s AND {column["lease_expires_at"]} > %s AND {column["id"]} IN ({wanted_sql})
        """  # noqa: S608 - the model's own table and columns; the subquery is the ORM's
    return sql, wanted_params


def _server_bound_cursor():
    """A cursor that sends its parameters apart from the SQL text, wrapped as Django wraps its own.

    Django's cursors bind on the client: each run is new SQL to PostgreSQL, parsed and planned again, and
    planning the send statement took longer than running it (``EXPLAIN``: 0.63 ms against 0.35 ms). Bound on
    the server, the text is the same for every message, and psycopg prepares it once the connection has run
    it ``prepare_threshold`` times (config/settings.py; off when that is None), after which PostgreSQL runs it
    on a generic plan (planning 0.009 ms). Measured per message in ``bench/newsletter_profile.py``: the
    statement's wall time fell from 2.3-2.4 ms to 1.1-1.3 ms. The wrapper logs and counts it like any query.
    """
    from django.db.backends.postgresql.base import ServerBindingCursor

    db_connection.ensure_connection()
    raw = ServerBindingCursor(db_connection.connection)
    return _LoggedAsWritten(raw, db_connection) if db_connection.queries_logged else db_connection.make_cursor(raw)


class _LoggedAsWritten(CursorDebugWrapper):
    """Django's debug wrapper, logging the SQL as written: it reads back what the cursor ran, and psycopg
    keeps no text of a run of a prepared statement."""

    def execute(self, sql, params=None):
        with self.debug_sql(sql, params):
            return CursorWrapper.execute(self, sql, params)


@functools.lru_cache(maxsize=64)
def _still_wanted_rows(token: str, personaliser: str):
    """The rows of one claim that may still go, as a queryset built once per claim and kind of message.

    Its subqueries refer to the outer row (``OuterRef``), so only the row's id and the time are added per
    message: building the three subqueries anew for every message cost more than sending it
    (``bench/newsletter.py``). The conditions are evaluated by the database when each UPDATE runs, so the
    check is as fresh as before. A queryset is never evaluated here, only cloned, so sharing it is safe.
    """
    rows = OutboundEmail.objects.filter(status=EmailStatus.SENDING, lease_token=token).filter(
        ~Exists(Suppression.objects.filter(practice_id=OuterRef("practice_id"), email=OuterRef("to_email"))),
        ~Exists(Batch.objects.filter(pk=OuterRef("batch_id"), status__in=STOPPED)),
    )
    wanted = hooks.still_wanted(personaliser) if personaliser else None
    if wanted is not None:
        rows = rows.filter(Exists(wanted.filter(pk=OuterRef("personalise_id"))))
    return rows


def _refused(row: OutboundEmail, token: str, now: datetime, wanted) -> str:
    """Why ``_start_transmitting`` matched nothing, and the row settled accordingly (rare: a few queries)."""
    status = Batch.objects.filter(pk=row.batch_id).values_list("status", flat=True).first()
    if status == BatchStatus.CANCELLED:
        done = _mark(row, token, status=EmailStatus.CANCELLED, last_error=CANCELLED_MESSAGE)
        return "cancelled" if done else "skipped"
    if status == BatchStatus.PAUSED:
        _give_back([row], token, now)
        return "skipped"
    if Suppression.objects.filter(practice_id=row.practice_id, email=row.to_email).exists():
        done = _mark(row, token, status=EmailStatus.SUPPRESSED, last_error=SUPPRESSED_MESSAGE)
        return "suppressed" if done else "skipped"
    if wanted is not None and not wanted.filter(pk=row.personalise_id).exists():
        done = _mark(row, token, status=EmailStatus.CANCELLED, last_error=UNWANTED_MESSAGE)
        return "cancelled" if done else "skipped"
    return "skipped"  # our lease ran out and another worker has the row


ENHANCED_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")


def _refuses_us(code: int, text: str) -> bool:
    """A 5xx about us (relay denied, authentication required, policy), not about the recipient."""
    enhanced = ENHANCED_STATUS.search(text)
    lowered = text.lower()
    return (
        code in (530, 535, 538)
        or (enhanced is not None and enhanced.group(2) == "7")
        or "relay" in lowered
        or "authenticat" in lowered
    )


def _bounce(row: OutboundEmail, token: str, text: str) -> str:
    """A permanent refusal of this recipient: fail the row and never send bulk mail there again."""
    _mark(row, token, status=EmailStatus.FAILED, last_error=f"Refused by the recipient's server: {text}")
    Suppression.objects.get_or_create(
        practice_id=row.practice_id,
        email=row.to_email,
        defaults={"reason": SuppressionReason.BOUNCE, "detail": text[:1000]},
    )
    hooks.message_bounced.send(sender=OutboundEmail, message=row)
    return "failed"


def _send_one(
    smtp, row: OutboundEmail, token: str, now: datetime, delivered: _Delivered, renderer: ThreadPoolExecutor | None
) -> str:
    """Send one claimed row; returns sent, deferred, failed, cancelled, suppressed, skipped or config.

    The message is personalised and built first, so that nothing but the SMTP exchange lies between the
    last "still wanted?" check (``_start_transmitting``) and the server ("config": the server refuses us).
    With Django's SMTP backend its bytes are made on ``renderer``'s thread while that check waits on the
    database (``_rendered``); a message that does not go after all is simply not sent (``_drop``).
    """
    try:
        bodies = personalised(row)
    except PersonaliseError as exc:
        _mark(row, token, status=EmailStatus.FAILED, last_error=str(exc))
        return "failed"
    if bodies is None:
        _mark(row, token, status=EmailStatus.CANCELLED, last_error=UNWANTED_MESSAGE)
        return "cancelled"
    message = build_message(row, smtp, text=bodies[0], html=bodies[1], headers=bodies[2])
    rendering = renderer.submit(_rendered, message) if renderer is not None else None
    refusal = _start_transmitting(row, token, delivered)
    if refusal:
        _drop(rendering)
        return refusal
    try:
        _hand_over(smtp, message, rendering)
    except smtplib.SMTPRecipientsRefused as exc:
        code, reply = next(iter(exc.recipients.values()))
        text = f"{code} {_decoded(reply)}"
        if code == 421:
            row.last_error = f"connection: {text}"
            return _defer(row, token, row.last_error, now)
        if 400 <= code < 500:
            return _defer(row, token, text, now)
        if _refuses_us(code, text):
            row.last_error = f"The mail server refuses to send for us: {text}"
            return "config"
        return _bounce(row, token, text)
    except smtplib.SMTPSenderRefused as exc:
        text = f"{exc.smtp_code} {_decoded(exc.smtp_error)}"
        if 400 <= exc.smtp_code < 500:
            return _defer(row, token, text, now)
        row.last_error = f"The mail server refuses our sender address: {text}"
        return "config"
    except smtplib.SMTPResponseException as exc:
        text = f"{exc.smtp_code} {_decoded(exc.smtp_error)}"
        if exc.smtp_code in TEMPORARY_CODES or 400 <= exc.smtp_code < 500:
            # 421: the server is closing the connection, so the rest of the batch waits too.
            row.last_error = f"connection: {text}" if exc.smtp_code == 421 else text
            return _defer(row, token, row.last_error, now)
        if _refuses_us(exc.smtp_code, text):
            row.last_error = f"The mail server refuses to send for us: {text}"
            return "config"
        _mark(row, token, status=EmailStatus.FAILED, last_error=text)
        return "failed"
    except (smtplib.SMTPServerDisconnected, OSError) as exc:
        row.last_error = f"connection: {exc}"
        return _defer(row, token, row.last_error, now)
    except Exception as exc:  # other backends (an email service provider through django-anymail)
        return _provider_error(row, token, exc, now)
    delivered.record(row)
    return "sent"


def _rendered(message: EmailMultiAlternatives) -> tuple[str, list[str], bytes]:
    """What Django's SMTP backend hands to ``smtplib`` for ``message`` (its ``_send``), built ahead of time.

    The backend builds the MIME message inside ``send_messages``, after the "still wanted?" statement, so
    one worker waited on PostgreSQL and then built it. Built on a second thread while the statement waits,
    the two overlap (the thread holds the GIL only while the first one waits on its socket):
    ``bench/newsletter_profile.py``, runs in turn, 345-355 against 397-415 msg/s on one machine and 120-194
    against 215-263 on a slower one (bench/README.md, "Fifth pass"). Only for Django's own SMTP backend,
    whose ``_send`` this is; any other backend, a subclass included, is given the message to send itself.
    """
    encoding = message.encoding or settings.DEFAULT_CHARSET
    return (
        sanitize_address(message.from_email, encoding),
        [sanitize_address(address, encoding) for address in message.recipients()],
        message.message().as_bytes(linesep="\r\n"),
    )


def _hand_over(smtp, message: EmailMultiAlternatives, rendering: Future | None) -> None:
    """Give the message to the server: as built ahead (``_rendered``), or through the backend."""
    if rendering is None:
        smtp.send_messages([message])
        return
    from_email, recipients, data = rendering.result()
    if recipients:  # as the backend's ``_send``: a message with no recipient is not sent
        smtp.connection.sendmail(from_email, recipients, data)


def _drop(rendering: Future | None) -> None:
    """A message that does not go after all: its bytes are not wanted (once begun, they are left to finish)."""
    if rendering is not None:
        rendering.cancel()


def _provider_error(row: OutboundEmail, token: str, exc: Exception, now: datetime) -> str:
    """Map an email service provider's errors (django-anymail) like SMTP's; anything else is retried."""
    name = type(exc).__name__
    if name == "AnymailRecipientsRefused":
        return _bounce(row, token, str(exc)[:500])
    if getattr(exc, "status_code", None) in (401, 403):
        row.last_error = f"The email service refuses our credentials: {name}"
        return "config"
    return _defer(row, token, f"{name}: {exc}", now)


def _decoded(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
