"""Settings of mail delivery, read lazily so ``override_settings`` works.

They keep the ``PRACTICE_`` prefix they had before mail delivery had an app of its own.
"""

from __future__ import annotations

from django.conf import settings


def _get(name: str, default):
    return getattr(settings, f"PRACTICE_{name}", default)


def outbox_batch_size() -> int:
    """How many messages one drain claims at a time.

    Each claim has costs of its own (its queries and their commit, an SMTP connection, a heartbeat): in a
    newsletter the claim alone took 0.25 ms a message at 50 and 0.13 ms at 200, of about 2.9 ms in all
    (``bench/newsletter_profile.py``), and one worker went from medians of 47-49 % to about 52 % of a
    plain SMTP loop (``bench/newsletter.py``; bench/README.md, "Fourth pass"). The price of a larger
    claim: a campaign's last claim is one worker's alone, and a dead worker's unsent claimed messages wait
    out its lease (``outbox_lease_seconds``) before another sends them.
    """
    return int(_get("OUTBOX_BATCH_SIZE", 200))


def outbox_lease_seconds() -> float:
    """How long a claimed message may stay 'sending' unrenewed before it counts as lost with its worker.

    Short, because a live worker's heartbeat renews it every third of it: a dead worker's claimed,
    unsent messages go back to pending within this many seconds.
    """
    return float(_get("OUTBOX_LEASE_SECONDS", 30))


def outbox_max_attempts() -> int:
    """Attempts before a temporary failure becomes permanent."""
    return int(_get("OUTBOX_MAX_ATTEMPTS", 8))


def outbox_retry_base_seconds() -> float:
    """The first retry delay; each further attempt doubles it (with jitter), capped at an hour."""
    return float(_get("OUTBOX_RETRY_BASE_SECONDS", 60))


def send_rate_per_minute() -> int:
    """At most this many messages a minute across all workers (0: no limit); shared through the cache."""
    return int(_get("SEND_RATE_PER_MINUTE", 0))


def pause_after_failures() -> int:
    """Consecutive failures of the connection as a whole (unreachable, refusing us, a storm of temporary
    refusals) after which sending pauses until staff resume it."""
    return int(_get("PAUSE_AFTER_FAILURES", 5))


def storm_after_temporary_failures() -> int:
    """Temporary (4xx) refusals in a row, across recipients, that count as the server failing (0: never)."""
    return int(_get("STORM_AFTER_TEMPORARY_FAILURES", 10))


def backoff_seconds() -> float:
    """The first wait after the connection as a whole failed; each further failure in a row doubles it."""
    return float(_get("BACKOFF_SECONDS", 30))


def drain_time_budget_seconds() -> float:
    """How long one drain task keeps sending before it hands over to the next one."""
    return float(_get("DRAIN_TIME_BUDGET_SECONDS", 50))


def drain_fanout() -> int:
    """At most this many extra drain tasks wait in the broker at once, so every worker process gets one.

    Starting a campaign, and a drain that finds more than one batch due, queue extra drains up to this
    bound (set it to the number of worker processes, or a little above); claims never overlap.
    """
    return max(0, int(_get("DRAIN_FANOUT", 4)))


def drain_max_countdown_seconds() -> int:
    """The longest a drain waits before its own next run (for a deferred retry or a lease running out).

    Kept well below the broker's visibility timeout: Redis hands a task that waits longer to another
    worker as if the first had died. A retry due later is reached in several such hops.
    """
    return int(_get("DRAIN_MAX_COUNTDOWN_SECONDS", 60))
