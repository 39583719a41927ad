"""Settings for fault tests: short leases, small batches, so a killed worker's rows come back quickly."""

from __future__ import annotations

from config.settings import *  # noqa: F403

PRACTICE_OUTBOX_LEASE_SECONDS = 2
PRACTICE_OUTBOX_BATCH_SIZE = 10
