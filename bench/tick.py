"""What a quiet beat costs with 1,000 and with 100,000 open rows, on PostgreSQL: it should not grow.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/tick.py [--sizes 1000 100000]

It makes a scratch database ``tandem_bench_tick``, migrates it, and for each size fills it with that
many open questionnaire assignments (sent, not finished, no reminder due for days) and as many booked
appointments (next month, no reminder due, under two active questionnaire plans), plus scheduled
newsletter campaigns due tomorrow. Then it times each beat task's quiet run (nothing due): the
questionnaire tick (reminders, expiry, schedules, invitations), the appointment tick and the campaign
start, the fastest of 31 runs, with the number of queries each made, and prints the time at the largest
size over the time at the smallest: the target is at most 1.5. Not part of the test run; the database is
dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "tandem_bench_tick"
RUNS = 31


def database_urls() -> tuple[str, str]:
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    parts = urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        sys.exit("bench/tick.py needs DATABASE_URL to point at PostgreSQL.")
    return urlunsplit(parts._replace(path="/postgres")), urlunsplit(parts._replace(path=f"/{BENCH_DB}"))


def recreate_database(admin_url: str, *, drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(admin_url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        if not drop_only:
            conn.execute(f"CREATE DATABASE {BENCH_DB}")


def fill(total: int, have: int, *, practice, therapist, client, version, now) -> None:
    """Top the open rows up from ``have`` to ``total``, written in bulk (the services would send mail)."""
    from assessments.models import Assignment, AssignmentStatus
    from clients.models import Appointment
    from practice.newsletter.models import Campaign, CampaignStatus

    sent = now - timedelta(days=1)
    for start in range(have, total, 5000):
        count = min(5000, total - start)
        Assignment.objects.bulk_create(
            Assignment(
                version=version,
                respondent=client,
                status=AssignmentStatus.SENT,
                send_at=sent,
                sent_at=sent,
                expires_at=now + timedelta(days=20),
                next_reminder_at=sent + timedelta(days=3),
                invitations_sent=1,
            )
            for _ in range(count)
        )
        Appointment.objects.bulk_create(
            Appointment(
                client=client,
                therapist=therapist,
                starts_at=now + timedelta(days=30, hours=start + i),
                ends_at=now + timedelta(days=30, hours=start + i, minutes=50),
                duration_minutes=50,
                next_reminder_at=now + timedelta(days=29, hours=start + i),
            )
            for i in range(count)
        )
    campaigns = max(total // 1000, 1) - max(have // 1000, 1) + (0 if have else 1)
    Campaign.objects.bulk_create(
        Campaign(
            practice=practice,
            subject="Later",
            body_markdown="Hi",
            status=CampaignStatus.SCHEDULED,
            send_at=now + timedelta(days=1),
        )
        for _ in range(campaigns)
    )


def timed(task) -> tuple[float, int]:
    """The fastest of several quiet runs (the machine is shared: the minimum is the steadiest figure), and
    the queries one run makes."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    task()  # warm
    with CaptureQueriesContext(connection) as queries:
        task()
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        task()
        samples.append(time.perf_counter() - started)
    return min(samples), len(queries.captured_queries)


def explained(task) -> list[str]:
    """The top node of each query's plan, to show the index it goes through."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        task()
    lines = []
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            cursor.execute("EXPLAIN " + query["sql"])
            plan = [row[0].strip() for row in cursor.fetchall()]
            scans = [step for step in plan if "Scan" in step] or plan[:1]
            lines.append("; ".join(scans)[:160])
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100000])
    args = parser.parse_args()
    admin_url, bench_url = database_urls()
    recreate_database(admin_url)
    os.environ.update({"DATABASE_URL": bench_url, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "1"})
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from bench_practice import bench_practice_create

    from assessments import assignments
    from assessments.models import InstrumentVersion
    from clients import appointments
    from clients.models import Client, PlanTiming, QuestionnairePlan
    from practice.models import Membership, Role
    from practice.newsletter.campaigns import campaigns_start_due

    practice = bench_practice_create()
    from django.contrib.auth import get_user_model

    therapist = get_user_model().objects.create_user("bench", email="bench@bench.example")
    Membership.objects.create(practice=practice, user=therapist, role=Role.OWNER)
    client = Client.objects.create(
        practice=practice, therapist=therapist, first_name="Bench", last_name="Client", email="c@bench.example"
    )
    version = InstrumentVersion.objects.filter(published_at__isnull=False).first()
    # The client's appointments are all under two active plans, one before and one after each appointment.
    for timing in (PlanTiming.BEFORE_EACH, PlanTiming.AFTER_EACH):
        QuestionnairePlan.objects.create(
            client=client, instrument=version.instrument, timing=timing, hours=24, created_by=therapist
        )
    now = timezone.now()
    ticks = {
        "questionnaire tick": lambda: assignments.assignments_tick(now=now),
        "appointment tick": lambda: appointments.appointments_tick(now=now),
        "campaign start": lambda: campaigns_start_due(now),
    }
    results: dict[str, list[tuple[int, float, int]]] = {name: [] for name in ticks}
    plans: dict[str, list[str]] = {}
    have = 0
    try:
        for size in sorted(args.sizes):
            fill(size, have, practice=practice, therapist=therapist, client=client, version=version, now=now)
            have = size
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            for name, task in ticks.items():
                seconds, queries = timed(task)
                if size == max(args.sizes):
                    plans[name] = explained(task)
                results[name].append((size, seconds, queries))
                print(f"{name:>19}, {size:>7} open rows: {seconds * 1000:7.2f} ms, {queries} queries", flush=True)
    finally:
        connection.close()
        recreate_database(admin_url, drop_only=True)

    print("\n| beat task | " + " | ".join(f"quiet at {size:,}" for size in sorted(args.sizes)) + " | ratio |")
    print("| --- | " + " | ".join("---:" for _ in args.sizes) + " | ---: |")
    for name, rows in results.items():
        ratio = rows[-1][1] / rows[0][1]
        cells = " | ".join(f"{seconds * 1000:.2f} ms ({queries} q)" for _size, seconds, queries in rows)
        print(f"| {name} | {cells} | {ratio:.2f} |")
    print("\nHow each quiet query reads the largest tables (EXPLAIN, first line of each plan):")
    for name, lines in plans.items():
        for line in lines:
            print(f"  {name}: {line}")
    worst = max(rows[-1][1] / rows[0][1] for rows in results.values())
    print(f"\nLargest ratio {worst:.2f} (target at most 1.5).")


if __name__ == "__main__":
    main()
