"""Celery tasks of mail delivery: they take ids, load rows and call one service."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_ready
from django.core.cache import cache

from practice.mail import app_settings

logger = logging.getLogger(__name__)

#: How many extra drains wait in the broker now (a shared counter; it expires, so a lost one heals).
WAITING_KEY = "practice:outbox:extra-drains-waiting"
#: When the earliest self-scheduled drain is due (a timestamp), so finishing drains do not pile up more.
NEXT_RUN_KEY = "practice:outbox:next-run"


def queue_drains(batches: int = 1, *, first: bool = True) -> int:
    """Queue one drain (unless ``first`` is False), and extra ones for further batches, bounded.

    The first is always queued (a new message must not wait for a counter); the extras are bounded by
    a shared counter, so however many drains and starts ask at once, at most ``drain_fanout()`` wait.
    Returns how many were queued.
    """
    queued = 0
    if first:
        drain_outbox.delay()
        queued = 1
    limit = app_settings.drain_fanout()
    for _ in range(max(0, min(batches - 1, limit))):
        cache.add(WAITING_KEY, 0, timeout=120)
        try:
            waiting = cache.incr(WAITING_KEY)
        except ValueError:  # expired between add and incr
            continue
        if waiting > limit:
            cache.decr(WAITING_KEY)
            break
        drain_outbox.apply_async(kwargs={"extra": True})
        queued += 1
    return queued


@shared_task(name="mail.drain_outbox", acks_late=True)
def drain_outbox(extra: bool = False) -> dict[str, int]:
    """Send what is due; safe to run many times at once (rows are claimed) and from beat every minute."""
    from practice.mail import outbox

    if extra:
        try:
            if cache.decr(WAITING_KEY) < 0:
                cache.set(WAITING_KEY, 0, timeout=120)
        except ValueError:  # the counter expired or Redis was emptied: nothing to give back
            pass
    eager = drain_outbox.app.conf.task_always_eager  # in-process runs would only nest drains
    more_work = None if eager else lambda: queue_drains(app_settings.drain_fanout() + 1, first=False)
    report = outbox.drain(on_more_work=more_work)
    if report.more:
        drain_outbox.delay()  # a long batch keeps going without waiting for beat
    elif report.rate_limited:
        import time

        # One follow-up per minute, however many drains hit the limit (beat keeps draining too).
        if cache.add("practice:outbox:rescheduled", True, timeout=60):
            drain_outbox.apply_async(countdown=max(1, 60 - int(time.time()) % 60))
    if not (report.paused or report.more or report.rate_limited):  # those hand over in their own way
        schedule_next_run()
    counts = {"sent": report.sent, "deferred": report.deferred, "failed": report.failed, "cancelled": report.cancelled}
    if any(counts.values()) or report.released:
        logger.info("Outbox drained: %s (released %s lost)", counts, report.released)
    return counts


def schedule_next_run() -> float | None:
    """Queue a drain for when the outbox next has something to do, so nothing waits for beat.

    Short countdowns only (``drain_max_countdown_seconds``): a retry due later is reached in hops.
    One drain per moment, however many finish: the cache remembers the earliest one queued.
    Returns the countdown, or None when nothing waits.
    """
    import time

    from practice.mail import outbox

    wait = outbox.next_run_in()
    if wait is None:
        return None
    countdown = min(max(wait, 0.5), app_settings.drain_max_countdown_seconds())
    at = time.time() + countdown
    queued_at = cache.get(NEXT_RUN_KEY)
    if queued_at is not None and time.time() <= queued_at <= at + 0.5:
        return None  # a drain already queued will be there first (or near enough)
    cache.set(NEXT_RUN_KEY, at, timeout=int(countdown) + 5)
    drain_outbox.apply_async(countdown=countdown)
    return countdown


@worker_ready.connect(dispatch_uid="mail.drain_on_worker_ready")
def drain_on_worker_ready(**kwargs) -> None:
    """A (re)started worker resumes pending mail at once instead of waiting for beat's next minute.

    A next run that a worker which has since died was holding (a countdown task stays with the worker
    that took it) must not stop this worker's drains from scheduling their own: forget it.
    """
    cache.delete(NEXT_RUN_KEY)
    queue_drains(app_settings.drain_fanout() + 1)
