"""Writing a campaign's outbox rows: ``COPY`` (``outbox.enqueue_many`` on PostgreSQL) beside ``bulk_create``.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/materialise.py [--sizes N ...]

It makes a scratch database ``tandem_bench_materialise`` on the server ``DATABASE_URL`` names, migrates it, and
for each size builds that many unsaved newsletter rows as ``campaigns._materialise`` does (a body of a few
kilobytes each, headers, a personaliser) and writes them into a new batch twice, timing only the writing:
with ``enqueue_many`` (``COPY … FROM STDIN``) and with ``bulk_create`` in the campaign's chunks (the
framework's way, what SQLite uses). It prints both times and their ratio. Not part of the test run.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench.form import postgres_admin_url, postgres_run  # noqa: E402

BENCH_DB = "tandem_bench_materialise"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    admin_url = postgres_admin_url()
    if admin_url is None:
        sys.exit("bench/materialise.py needs DATABASE_URL to point at PostgreSQL.")
    postgres_run(admin_url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)", f"CREATE DATABASE {BENCH_DB}")
    os.environ["DATABASE_URL"] = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgres://") + f"/{BENCH_DB}"
    for name in ("REDIS_URL", "EMAIL_URL"):
        os.environ.pop(name, None)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "TANDEM_VAR_DIR": tempfile.mkdtemp(prefix="tandem-bench-materialise-"),
            "SECRET_KEY": secrets.token_urlsafe(50),
            "LOG_LEVEL": "ERROR",
        }
    )
    import django

    django.setup()
    from bench_practice import bench_practice_create
    from django.core.management import call_command
    from django.db import connections, transaction
    from django.utils import timezone

    from practice.mail import batches, outbox
    from practice.mail.models import EmailKind, EmailStatus, OutboundEmail
    from practice.newsletter.campaigns import PERSONALISER, WRITE_CHUNK

    try:
        call_command("migrate", verbosity=0)
        practice = bench_practice_create()
        body = "News from the practice. " * 120  # about 3 KB, as a short newsletter

        def rows(batch, size: int, run: str) -> list[OutboundEmail]:
            now = timezone.now()
            return [
                OutboundEmail(
                    practice=practice,
                    idempotency_key=f"bench:{run}:{size}:{n}",
                    kind=EmailKind.NEWSLETTER,
                    to_email=f"reader{n}@bench.example",
                    subject="News",
                    body_text=body,
                    body_html=f"<p>{body}</p>",
                    headers={"List-Unsubscribe": "<https://bench.example/u/{token}>"},
                    message_id=outbox.new_message_id(practice),
                    status=EmailStatus.PENDING,
                    due_at=now,
                    resend_if_lost=False,
                    batch=batch,
                    personaliser=PERSONALISER,
                    personalise_id=n,
                )
                for n in range(size)
            ]

        def by_copy(size: int) -> float:
            batch = batches.batch_create(practice=practice, label=f"copy {size}")
            pending = rows(batch, size, "copy")
            started = time.perf_counter()
            written = outbox.enqueue_many(pending, into_new_batch=batch, chunk=WRITE_CHUNK)
            took = time.perf_counter() - started
            assert written == size, written
            return took

        def by_bulk_create(size: int) -> float:
            batch = batches.batch_create(practice=practice, label=f"bulk {size}")
            pending = rows(batch, size, "bulk")
            started = time.perf_counter()
            with transaction.atomic():
                for start in range(0, size, WRITE_CHUNK):
                    OutboundEmail.objects.bulk_create(pending[start : start + WRITE_CHUNK], ignore_conflicts=True)
            took = time.perf_counter() - started
            assert OutboundEmail.objects.filter(batch=batch).count() == size
            return took

        print(f"{'rows':>8} {'COPY':>9} {'bulk_create':>12} {'bulk_create / COPY':>19}")
        for size in args.sizes:
            copy_seconds, bulk_seconds = by_copy(size), by_bulk_create(size)
            ratio = bulk_seconds / copy_seconds
            print(f"{size:>8} {copy_seconds:>8.2f}s {bulk_seconds:>11.2f}s {ratio:>18.2f}x")
    finally:
        connections.close_all()
        postgres_run(admin_url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
