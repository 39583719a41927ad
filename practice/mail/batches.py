"""Batches: messages sent together, paused, resumed, cancelled and finished as one.

The app that makes a batch (the newsletter) owns what it means; this module only moves its
messages and tells the owner through ``practice.mail.hooks`` when a batch finishes or reopens.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from practice.mail import hooks
from practice.mail.models import OPEN_EMAIL_STATUSES, Batch, BatchStatus, EmailStatus, OutboundEmail
from practice.models import Practice

#: Batches whose messages are not claimed.
STOPPED = (BatchStatus.PAUSED, BatchStatus.CANCELLED)


def batch_create(
    *, practice: Practice, label: str, text: str = "", html: str = "", headers: dict[str, str] | None = None
) -> Batch:
    """A new batch; ``text``, ``html`` and ``headers`` are the body its messages share, if they share one."""
    return Batch.objects.create(
        practice=practice, label=label[:300], body_text=text, body_html=html, headers=headers or {}
    )


def batch_pause(*, batch: Batch) -> bool:
    """Stop claiming the batch's messages; those already being sent finish. False if it was not sending."""
    return bool(Batch.objects.filter(pk=batch.pk, status=BatchStatus.SENDING).update(status=BatchStatus.PAUSED))


def batch_resume(*, batch: Batch) -> bool:
    """Carry on where the batch paused; nothing already sent goes again."""
    from practice.mail.outbox import kick_drain

    resumed = Batch.objects.filter(pk=batch.pk, status=BatchStatus.PAUSED).update(status=BatchStatus.SENDING)
    if resumed:
        kick_drain()
    return bool(resumed)


def batch_cancel(*, batch: Batch, reason: str) -> int:
    """Stop for good: every message not yet claimed is cancelled (one mid-send may still go); returns how many."""
    Batch.objects.filter(pk=batch.pk).exclude(status=BatchStatus.FINISHED).update(status=BatchStatus.CANCELLED)
    return OutboundEmail.objects.filter(
        batch_id=batch.pk, status__in=[EmailStatus.PENDING, EmailStatus.DEFERRED]
    ).update(status=EmailStatus.CANCELLED, last_error=reason, lease_token="", lease_expires_at=None)


def batches_reopen(batch_ids: Iterable[int]) -> None:
    """Finished batches that a retry gave open messages again go back to sending."""
    for batch in Batch.objects.filter(pk__in=set(batch_ids), status=BatchStatus.FINISHED):
        Batch.objects.filter(pk=batch.pk).update(status=BatchStatus.SENDING, finished_at=None)
        batch.status, batch.finished_at = BatchStatus.SENDING, None
        hooks.batch_reopened.send(sender=Batch, batch=batch)


def batches_finish() -> int:
    """A batch is finished only when none of its messages is pending, sending or deferred.

    Each candidate is locked first (skipping one a retry or cancel is holding), and its messages are
    counted after the lock, so a retry that reopens messages cannot be overtaken.
    """
    finished = 0
    for batch_id in Batch.objects.filter(status=BatchStatus.SENDING).values_list("pk", flat=True):
        with transaction.atomic():
            batch = Batch.objects.select_for_update(skip_locked=True).filter(pk=batch_id).first()
            if batch is None or batch.status != BatchStatus.SENDING:
                continue
            if OutboundEmail.objects.filter(batch_id=batch_id, status__in=OPEN_EMAIL_STATUSES).exists():
                continue
            batch.status, batch.finished_at = BatchStatus.FINISHED, timezone.now()
            batch.save(update_fields=["status", "finished_at"])
            hooks.batch_finished.send(sender=Batch, batch=batch)
            finished += 1
    return finished
