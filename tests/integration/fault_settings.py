"""Settings for fault tests: short leases, small batches, so a killed worker's rows come back quickly.

``FAULT_*`` variables let one test change a figure for its own workers (a bigger batch, say).
"""

from __future__ import annotations

import os

from config.settings import *  # noqa: F403

PRACTICE_OUTBOX_LEASE_SECONDS = int(os.environ.get("FAULT_LEASE_SECONDS", 2))
PRACTICE_OUTBOX_BATCH_SIZE = int(os.environ.get("FAULT_BATCH_SIZE", 10))

# FAULT_PRACTICE_<NAME>=<number> sets PRACTICE_<NAME> for this test's workers.
for _name, _value in os.environ.items():
    if _name.startswith("FAULT_PRACTICE_"):
        globals()[_name.removeprefix("FAULT_")] = float(_value) if "." in _value else int(_value)
