"""Newsletter throughput and worker memory, side by side with a plain smtplib loop.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/2 \\
        .venv/bin/python bench/newsletter.py [--sizes 2000 100000] [--workers 1 2] [--window 8000] [--repeat 3]

It creates a scratch database ``tandem_bench`` on the given PostgreSQL server, starts a real SMTP
server (aiosmtpd's Sink, in its own process) and real Celery workers on Redis, and for each size:

* times starting the campaign (the recipients materialised as outbox rows);
* sends it through the outbox with one worker process (and more, for each ``--workers`` value),
  timing from the start until the campaign is finished, or, for a campaign larger than
  ``--window``, until that many messages have gone (then it is cancelled), so the run stays within
  a few minutes; it reads the workers' CPU time per message and peak resident memory (VmHWM) from /proc;
* sends the very same number of rendered messages through one ``smtplib`` connection in a plain
  loop, the ceiling on this machine;

and prints messages per second for both and the ratios. With ``--repeat`` it does all that several times,
round after round, and the summary gives each figure's median and the range of the ratios: on a shared
machine one run's ratio can move by a third. Not part of the test run.
"""

from __future__ import annotations

import argparse
import os
import signal
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from smtp_sink import sink_server

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "tandem_bench"
CELERY = [sys.executable, "-m", "celery", "-A", "config", "worker"]


def database_urls() -> tuple[str, str]:
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    parts = urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        sys.exit("bench/newsletter.py needs DATABASE_URL to point at PostgreSQL.")
    admin = urlunsplit(parts._replace(path="/postgres"))
    bench = urlunsplit(parts._replace(path=f"/{BENCH_DB}"))
    return admin, bench


def recreate_database(admin_url: str) -> None:
    import psycopg

    with psycopg.connect(admin_url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")


def family(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [pid] + ([int(child) for child in children.read_text().split()] if children.exists() else [])


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a worker and its pool's processes so far."""
    total = 0
    for one in family(pid):
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory of a process and its children (prefork pool), in MB."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(child) for child in children.read_text().split()]
    for one in pids:
        try:
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def wait_until_sent(sent, target: int, began: float) -> None:
    """Return once ``target`` messages are sent: counted seldom while far off, often as the end nears.

    Each count reads the sent rows (13 ms at 8,000). Counting ten times a second took about a tenth of a
    core from the very workers, PostgreSQL and SMTP server being timed; now it is a few counts in all,
    and the end is still seen within 50 ms.
    """
    while (count := sent.count()) < target:
        rate = count / (time.perf_counter() - began)
        remaining = (target - count) / rate if rate else 0.2
        time.sleep(min(max(remaining / 2, 0.05), 1.0))


class Worker:
    def __init__(self, environment: dict[str, str], processes: int) -> None:
        pool = ["--pool", "solo"] if processes == 1 else ["--pool", "prefork", "--concurrency", str(processes)]
        self.process = subprocess.Popen(
            [*CELERY, *pool, "--loglevel", "WARNING", "--without-mingle", "--without-gossip"],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(3)  # let it connect and start its pool

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 100000])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--window", type=int, default=8000, help="messages timed of a larger campaign")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of the whole run; the summary takes medians")
    args = parser.parse_args()

    admin_url, bench_url = database_urls()
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/2")
    var_dir = tempfile.mkdtemp(prefix="tandem-bench-")
    with sink_server() as smtp_port:
        environment = {
            **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")},
            "DATABASE_URL": bench_url,
            "REDIS_URL": redis_url,
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "TANDEM_VAR_DIR": var_dir,
            "DEBUG": "1",
            "LOG_LEVEL": "WARNING",
        }
        recreate_database(admin_url)
        os.environ.update(environment)
        os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)

        from bench_practice import bench_practice_create

        from config.celery import app as celery_app
        from practice.mail import outbox
        from practice.mail.models import OutboundEmail
        from practice.newsletter import campaigns
        from practice.newsletter.models import Campaign, Subscriber, SubscriberStatus

        celery_app.control.purge()
        practice = bench_practice_create()
        body = "## This month\n\nA short note on *interdependence*, with [a link](https://bench.example/a).\n\n" * 3
        results = []
        rounds = ((size, processes) for _ in range(args.repeat) for size in args.sizes for processes in args.workers)
        for size, processes in rounds:
            OutboundEmail.objects.all().delete()
            Campaign.objects.all().delete()
            Subscriber.objects.all().delete()
            Subscriber.objects.bulk_create(
                [
                    Subscriber(practice=practice, email=f"reader{i}@bench.example", status=SubscriberStatus.CONFIRMED)
                    for i in range(size)
                ],
                batch_size=2000,
            )
            campaign = Campaign.objects.create(practice=practice, subject="Bench news", body_markdown=body)
            target = min(size, args.window)
            worker = Worker(environment, processes)
            cpu_before = cpu_seconds(worker.process.pid)
            started = time.perf_counter()
            campaigns.campaign_start(campaign=campaign)  # the drains are queued on commit
            materialised = time.perf_counter()
            sent = OutboundEmail.objects.filter(batch__campaign=campaign, status="sent")
            wait_until_sent(sent, target, materialised)
            finished = time.perf_counter()
            done = sent.count()
            cpu = cpu_seconds(worker.process.pid) - cpu_before
            memory = peak_rss_mb(worker.process.pid)
            if done < size:
                campaigns.campaign_cancel(campaign=Campaign.objects.get(pk=campaign.pk))
            worker.stop()
            done = sent.count()

            # The same rendered parts, read before the clock starts; the loop builds each MIME
            # message (as any sender must) and sends it over one connection.
            rows = list(sent.select_related("practice", "batch")[:target])
            parts = [outbox.stored_parts(row) for row in rows]  # a campaign's shared body, with each address
            loop_started = time.perf_counter()
            with smtplib.SMTP("127.0.0.1", smtp_port) as smtp:
                for row, (text, html, headers) in zip(rows, parts, strict=True):
                    message = outbox.build_message(row, text=text, html=html, headers=headers)
                    raw = message.message().as_bytes(linesep="\r\n")
                    smtp.sendmail("hello@bench.example", [row.to_email], raw)
            loop_seconds = time.perf_counter() - loop_started

            tandem_rate = target / (finished - materialised)
            loop_rate = len(rows) / loop_seconds
            results.append((size, processes, materialised - started, tandem_rate, loop_rate, memory, cpu / done))
            print(
                f"{size:>6} recipients, {processes} worker process(es): materialised in "
                f"{materialised - started:5.1f} s; outbox {tandem_rate:7.0f} msg/s over {target} messages; "
                f"plain smtplib loop {loop_rate:7.0f} msg/s; ratio {tandem_rate / loop_rate:5.1%}; "
                f"worker CPU {cpu / done * 1000:5.2f} ms/msg; worker peak RSS {memory:6.1f} MB",
                flush=True,
            )

    print("\nSummary" + (f" (medians of {args.repeat} rounds)" if args.repeat > 1 else ""))
    print(
        "| recipients | worker processes | materialised | outbox msg/s | smtplib loop msg/s | ratio | "
        "vs one worker | worker CPU per message | worker peak RSS |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    runs: dict[tuple[int, int], list[tuple]] = {}
    for size, processes, *figures in results:
        runs.setdefault((size, processes), []).append(tuple(figures))
    medians = {}
    for key, figures in runs.items():
        seconds, tandem_rate, loop_rate, memory, cpu = (
            statistics.median(column) for column in zip(*figures, strict=True)
        )
        ratios = [tandem / loop for _, tandem, loop, _, _ in figures]
        medians[key] = (seconds, tandem_rate, loop_rate, memory, cpu, ratios)
    one = {size: figures[1] for (size, processes), figures in medians.items() if processes == 1}
    for (size, processes), (seconds, tandem_rate, loop_rate, memory, cpu, ratios) in medians.items():
        scaling = f"{tandem_rate / one[size]:.2f}x" if size in one else "-"
        spread = f" ({min(ratios):.0%}-{max(ratios):.0%})" if len(ratios) > 1 else ""
        print(
            f"| {size} | {processes} | {seconds:.1f} s | {tandem_rate:.0f} | {loop_rate:.0f} | "
            f"{statistics.median(ratios):.0%}{spread} | {scaling} | {cpu * 1000:.2f} ms | {memory:.1f} MB |"
        )
    single = {size: figures[3] for (size, processes), figures in medians.items() if processes == 1}
    if len(single) >= 2:
        small, large = min(single), max(single)
        print(
            f"\nPeak memory, one worker: {single[small]:.1f} MB at {small}, {single[large]:.1f} MB at {large} "
            f"(difference {single[large] - single[small]:+.1f} MB; target within 50 MB)."
        )
    print("Targets: one worker at least 50 % of the smtplib loop; two workers at least 1.3x one worker.")


if __name__ == "__main__":
    main()
