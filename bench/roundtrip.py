"""What one round trip to another process costs on this machine: back to back, and after the gap a message leaves.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/roundtrip.py [--gap-ms 3]

A worker's message is a chain of round trips that wait on each other: the "still wanted?" statement to
PostgreSQL, then MAIL, RCPT, DATA and the message to the SMTP server. Each server sleeps while the other
works, so each of its replies starts with a wake-up. This times the cheapest round trip to each server
(``SELECT 1``; SMTP ``NOOP`` to aiosmtpd's Sink in its own process) back to back and after ``--gap-ms`` of
waiting, and prints the medians and the 90th percentiles. Not part of the test run.
"""

from __future__ import annotations

import argparse
import os
import smtplib
import sys
import time
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from smtp_sink import sink_server


def timed(call: Callable[[], object], gap: float, count: int = 400) -> tuple[float, float]:
    """Median and 90th percentile of ``call`` in ms, each after ``gap`` seconds of waiting."""
    times = []
    for _ in range(count):
        if gap:
            time.sleep(gap)
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    times.sort()
    return times[count // 2] * 1000, times[count * 9 // 10] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gap-ms", type=float, default=3.0)
    args = parser.parse_args()

    import psycopg

    parts = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    if not parts.scheme.startswith("postgres"):
        sys.exit("bench/roundtrip.py needs DATABASE_URL to point at PostgreSQL.")
    with (
        sink_server() as port,
        psycopg.connect(urlunsplit(parts._replace(scheme="postgresql")), autocommit=True) as database,
        smtplib.SMTP("127.0.0.1", port) as smtp,
    ):
        for name, call in (("PostgreSQL SELECT 1", lambda: database.execute("SELECT 1")), ("SMTP NOOP", smtp.noop)):
            for label, gap in (("back to back", 0.0), (f"after {args.gap_ms:g} ms", args.gap_ms / 1000)):
                median, p90 = timed(call, gap)
                print(f"{name:<20} {label:<14} median {median:6.3f} ms, 90th percentile {p90:6.3f} ms")


if __name__ == "__main__":
    main()
