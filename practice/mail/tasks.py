"""Celery tasks of mail delivery: they take ids, load rows and call one service."""

from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="mail.drain_outbox", acks_late=True)
def drain_outbox() -> dict[str, int]:
    """Send what is due; safe to run many times at once (rows are claimed) and from beat every minute."""
    from practice.mail import outbox

    report = outbox.drain()
    if report.more:
        drain_outbox.delay()  # a long batch keeps going without waiting for beat
    elif report.rate_limited:
        import time

        from django.core.cache import cache

        # One follow-up per minute, however many drains hit the limit (beat keeps draining too).
        if cache.add("practice:outbox:rescheduled", True, timeout=60):
            drain_outbox.apply_async(countdown=max(1, 60 - int(time.time()) % 60))
    counts = {"sent": report.sent, "deferred": report.deferred, "failed": report.failed, "cancelled": report.cancelled}
    if any(counts.values()) or report.released:
        logger.info("Outbox drained: %s (released %s lost)", counts, report.released)
    return counts
