"""Where one drain spends its time per message: the outbox's phases timed in one process, or cProfile.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/newsletter_profile.py \\
        [--recipients 3000] [--seconds 600] [--profile]

It makes a scratch database ``tandem_bench_profile`` on the given PostgreSQL server, starts aiosmtpd's Sink
SMTP server in its own process, starts a campaign to that many confirmed subscribers and runs
``practice.mail.outbox.drain`` in this process (no Celery) until the campaign is sent or the time is up.
It prints messages per second, this process's CPU time per message and, per message, the wall time of each
phase of the send path: the "still wanted?" statement (``_start_transmitting``, which on PostgreSQL also
marks the message before it sent), the SMTP exchange (``_hand_over``), building the MIME message
(``_rendered``: on a second thread while the statement waits, so its time overlaps the others'), the other
marks (``_mark``: on PostgreSQL the last message of each claim, elsewhere every sent mark), the claims, and
filling in the recipient's link (``personalised``). With ``--profile``, cProfile's
top functions instead (cProfile roughly doubles the cost of Python code). Not part of the test run; the
database is dropped.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import functools
import io
import os
import pstats
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from smtp_sink import sink_server

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "tandem_bench_profile"
PHASES = ("_start_transmitting", "_hand_over", "_rendered", "_mark", "claim", "personalised")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipients", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--dump", metavar="FILE", help="with --profile, also write the raw statistics there (pstats)")
    args = parser.parse_args()

    import psycopg

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    parts = urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        sys.exit("bench/newsletter_profile.py needs DATABASE_URL to point at PostgreSQL.")
    admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")
    with sink_server() as port:
        os.environ.update(
            {
                "DATABASE_URL": urlunsplit(parts._replace(path=f"/{BENCH_DB}")),
                "EMAIL_URL": f"smtp://127.0.0.1:{port}",
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "DEBUG": "1",
                "LOG_LEVEL": "WARNING",
            }
        )
        os.environ.pop("REDIS_URL", None)  # the drain runs here; the queued drain tasks wait in a folder broker
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.core.mail.backends import smtp as smtp_backend
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from bench_practice import bench_practice_create

        from practice.mail import outbox
        from practice.newsletter import campaigns
        from practice.newsletter.models import Campaign, Subscriber, SubscriberStatus

        try:
            practice = bench_practice_create()
            Subscriber.objects.bulk_create(
                [
                    Subscriber(practice=practice, email=f"reader{i}@bench.example", status=SubscriberStatus.CONFIRMED)
                    for i in range(args.recipients)
                ],
                batch_size=2000,
            )
            body = "## This month\n\nA short note on *interdependence*, with [a link](https://bench.example/a).\n\n" * 3
            campaign = Campaign.objects.create(practice=practice, subject="Bench news", body_markdown=body)
            started = time.perf_counter()
            campaigns.campaign_start(campaign=campaign)
            print(f"{args.recipients} recipients materialised in {time.perf_counter() - started:.1f} s")

            spent: collections.Counter[str] = collections.Counter()

            def timed(owner, name: str) -> None:
                function = getattr(owner, name)

                @functools.wraps(function)
                def wrapper(*a, **k):
                    began = time.perf_counter()
                    try:
                        return function(*a, **k)
                    finally:
                        spent[name] += time.perf_counter() - began

                setattr(owner, name, wrapper)

            profile = cProfile.Profile() if args.profile else None
            if profile is None:
                for name in PHASES:
                    timed(outbox, name)
                for name in ("open", "close"):
                    timed(smtp_backend.EmailBackend, name)
            began, cpu = time.perf_counter(), time.process_time()
            if profile is not None:
                profile.enable()
            report = outbox.drain(budget_seconds=args.seconds)
            if profile is not None:
                profile.disable()
            wall, cpu = time.perf_counter() - began, time.process_time() - cpu
            sent = max(report.sent, 1)
            print(f"sent {report.sent}: {report.sent / wall:.0f} msg/s, CPU {cpu / sent * 1000:.2f} ms a message")
            for name, seconds in spent.most_common():
                print(f"  {name:<22} {seconds / sent * 1000:6.3f} ms a message")
            if profile is not None:
                out = io.StringIO()
                stats = pstats.Stats(profile, stream=out)
                if args.dump:
                    stats.dump_stats(args.dump)
                stats.sort_stats("cumulative").print_stats(30)
                stats.sort_stats("tottime").print_stats(20)
                print(out.getvalue())
        finally:
            django.db.connection.close()
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
