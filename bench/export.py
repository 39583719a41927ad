"""Exports and lists at two sizes: time and peak memory of the CSV and FHIR exports, and the main query of each list.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/export.py [--sizes 1000 50000]

It creates a scratch database ``tandem_bench_export`` on the given PostgreSQL server (dropped at the end),
migrates it (which installs the measure library) and fills it with a practice, an owner, one client per ten
responses and completed responses to the library's questionnaires. For each size, smallest first, it tops the
responses up to that number and then, in a fresh Python process per export (so one run's memory cannot hide
another's), exports them all through the admin's export (``ResponseAdmin._export``: the access log, then the
streamed download, read to the end as a browser would). Each process reports its time and its peak resident
memory (``VmHWM``) next to its resident memory just before the export. At the largest size, the main query of
the response list, the review queue, a client's page (their history) and the API's responses list is timed.
It prints the ratios between the sizes: time per row and the difference in peak memory.
Not part of the test run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "tandem_bench_export"
RESPONSES_PER_CLIENT = 10
UNREVIEWED = 200


def database_urls() -> tuple[str, str]:
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    parts = urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        sys.exit("bench/export.py needs DATABASE_URL to point at PostgreSQL.")
    return urlunsplit(parts._replace(path="/postgres")), urlunsplit(parts._replace(path=f"/{BENCH_DB}"))


def recreate_database(admin_url: str, drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(admin_url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        if not drop_only:
            conn.execute(f"CREATE DATABASE {BENCH_DB}")


def memory_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def child(args: list[str], environment: dict[str, str]) -> dict:
    """Run this script in a fresh process and read the one JSON line it prints last."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        sys.exit(f"bench/export.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- In the child processes ------------------------------------------------------------------------------------


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import logging

    import django

    django.setup()
    logging.disable(logging.WARNING)


def owner():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="bench-owner")


def seed(total: int) -> dict:
    """Top the responses up to ``total``: one client per ten, answers and scores as a form would store them."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from assessments import services
    from assessments.models import InstrumentStatus, InstrumentVersion, Response
    from bench.bench_practice import bench_practice_create
    from clients.models import Client
    from practice.models import Membership, Practice, Role

    practice = Practice.objects.filter(name="Bench Practice").first()
    if practice is None:
        practice = bench_practice_create()
        user = get_user_model().objects.create_user("bench-owner", "owner@bench.example", "unused-password-for-bench")
        Membership.objects.create(practice=practice, user=user, role=Role.OWNER)
    user = owner()
    versions = list(
        InstrumentVersion.objects.filter(status=InstrumentStatus.PUBLISHED, instrument__owner__isnull=True).order_by(
            "pk"
        )
    )
    answered = []
    for version in versions:
        form = services.published_form(version)
        answers = {}
        for item in form.document["items"]:
            if item.get("options"):
                code = item["options"][min(1, len(item["options"]) - 1)]["code"]
                answers[item["key"]] = [code] if item["type"] == "multiple_choice" else code
        answered.append((version, answers, services.version_score(version, answers)))
    have = Response.objects.count()
    now = timezone.now()
    with transaction.atomic():
        clients_needed = -(-total // RESPONSES_PER_CLIENT) - Client.objects.filter(practice=practice).count()
        Client.objects.bulk_create(
            Client(
                practice=practice,
                therapist=user,
                first_name=f"Client{n}",
                last_name="Bench",
                email=f"client{n}@bench.example",
            )
            for n in range(max(0, clients_needed))
        )
        client_ids = list(Client.objects.filter(practice=practice).order_by("pk").values_list("pk", flat=True))
        batch = []
        for n in range(have, total):
            version, answers, scores = answered[n % len(answered)]
            batch.append(
                Response(
                    version=version,
                    respondent_id=client_ids[n // RESPONSES_PER_CLIENT],
                    answers=answers,
                    scores=scores,
                    flagged=bool(scores.get("risk_flags")),
                    completed_at=now,
                )
            )
            if len(batch) == 5000:
                Response.objects.bulk_create(batch)
                batch = []
        Response.objects.bulk_create(batch)
        # As in a practice that keeps up: all but the newest responses reviewed, so the queue holds a few hundred.
        unreviewed = Response.objects.order_by("-pk").values_list("pk", flat=True)[UNREVIEWED - 1 : UNREVIEWED]
        Response.objects.filter(pk__lt=unreviewed.first() or 0, reviewed_at__isnull=True).update(
            reviewed_at=now, reviewed_by=user
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # planner statistics, as autovacuum would have gathered them
    sizes = [len(json.dumps(version.definition)) for version, _a, _s in answered]
    return {"responses": Response.objects.count(), "versions": len(versions), "definition_bytes": max(sizes)}


def measure_export(kind: str) -> dict:
    """One export of every response through the admin's own export, read to the end; time and peak memory."""
    from django.contrib import admin
    from django.test import RequestFactory

    from assessments.models import Response

    request = RequestFactory().post("/admin/assessments/response/")
    request.user = owner()
    model_admin = admin.site._registry[Response]
    queryset = model_admin.get_queryset(request)
    rss_before = memory_kb("VmRSS")
    started = time.perf_counter()
    reply = model_admin._export(request, queryset, kind)
    size = sum(len(chunk) for chunk in reply.streaming_content)
    seconds = time.perf_counter() - started
    return {
        "rows": queryset.count(),
        "seconds": seconds,
        "bytes": size,
        "rss_before_mb": rss_before / 1024,
        "peak_mb": memory_kb("VmHWM") / 1024,
    }


def main_query_ms(run, repeats: int = 5) -> dict[str, float]:
    """Medians over ``repeats`` of the list's main query (the one that fetches its rows of responses) and of the
    slowest other query that reads responses (a paginator's count, a filter's choices), in ms."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    run()  # warm: the parsed forms are cached per process, as on a running site
    main, count = [], []
    for _ in range(repeats):
        with CaptureQueriesContext(connection) as queries:
            run()
        rows, counts = [0.0], [0.0]
        for query in queries.captured_queries:
            if query["sql"].startswith('SELECT "assessments_response"."id"'):
                rows.append(float(query["time"]) * 1000)
            elif 'FROM "assessments_response"' in query["sql"]:  # the paginator's counts, the list's filters
                counts.append(float(query["time"]) * 1000)
        main.append(max(rows))
        count.append(max(counts))
    return {"main": statistics.median(main), "count": statistics.median(count)}


def measure_lists() -> dict:
    from django.contrib import admin
    from django.test import RequestFactory
    from rest_framework.test import APIRequestFactory, force_authenticate

    from assessments import results
    from assessments.api.views import ResponseViewSet
    from assessments.models import Response
    from clients.models import Client

    user = owner()
    model_admin = admin.site._registry[Response]

    def changelist() -> None:
        request = RequestFactory().get("/admin/assessments/response/")
        request.user = user
        list(model_admin.get_changelist_instance(request).result_list)

    def api_list() -> None:
        request = APIRequestFactory().get("/api/v1/responses/")
        force_authenticate(request, user=user)
        reply = ResponseViewSet.as_view({"get": "list"})(request)
        assert reply.status_code == 200, reply.data

    client_id = Client.objects.order_by("pk").values_list("pk", flat=True).first()
    return {
        "response list": main_query_ms(changelist),
        "review queue": main_query_ms(lambda: results.review_queue(user)),
        "client page (history)": main_query_ms(lambda: results.respondent_history(client_id)),
        "API responses list": main_query_ms(api_list),
    }


# --- The parent ------------------------------------------------------------------------------------------------


def run_child(argv: list[str]) -> None:
    setup_django()
    from django.conf import settings

    settings.DEBUG = False
    if argv[0] == "--seed":
        result = seed(int(argv[1]))
    elif argv[0] == "--export":
        result = measure_export(argv[1])
    else:
        result = measure_lists()
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 50000])
    parser.add_argument("--keep", action="store_true", help="keep the scratch database (to EXPLAIN its queries)")
    parser.add_argument("--lists-only", action="store_true", help="seed the largest size and time the lists only")
    options = parser.parse_args()
    admin_url, bench_url = database_urls()
    recreate_database(admin_url)
    environment = {**os.environ, "DATABASE_URL": bench_url, "DEBUG": "0", "SECRET_KEY": "bench-only-not-secret"}
    environment.setdefault("ALLOWED_HOSTS", "testserver")
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=environment, check=True
        )
        figures: dict[int, dict[str, dict]] = {}
        for size in sorted(options.sizes)[-1:] if options.lists_only else sorted(options.sizes):
            seeded = child(["--seed", str(size)], environment)
            print(
                f"{seeded['responses']:,} responses to {seeded['versions']} library questionnaires "
                f"(largest definition {seeded['definition_bytes'] / 1024:.1f} KB)",
                flush=True,
            )
            if options.lists_only:
                break
            figures[size] = {kind: child(["--export", kind], environment) for kind in ("csv", "fhir")}
            for kind, got in figures[size].items():
                print(
                    f"  {kind:4}  {got['rows']:>7,} rows  {got['seconds']:7.2f} s  "
                    f"{got['rows'] / got['seconds']:8,.0f} rows/s  {got['bytes'] / 1e6:7.1f} MB out  "
                    f"RSS before {got['rss_before_mb']:6.1f} MB  peak {got['peak_mb']:6.1f} MB",
                    flush=True,
                )
        large = max(options.sizes)
        if len(figures) > 1:
            small = min(figures)
            print(f"\nFrom {small:,} to {large:,} responses:")
            for kind in ("csv", "fhir"):
                a, b = figures[small][kind], figures[large][kind]
                per_row = (b["seconds"] / b["rows"]) / (a["seconds"] / a["rows"])
                print(
                    f"  {kind:4}  time per row x{per_row:.2f}   peak memory {a['peak_mb']:.1f} -> "
                    f"{b['peak_mb']:.1f} MB ({b['peak_mb'] - a['peak_mb']:+.1f} MB)"
                )
        lists = child(["--lists"], environment)
        print(f"\nEach list at {large:,} responses, median of 5 (ms): its main query, and the slowest other")
        print("query reading responses (the paginator's count, the filter's choices), if any")
        for name, ms in lists.items():
            print(f"  {name:24} main {ms['main']:6.1f}   other {ms['count']:6.1f}")
    finally:
        if not options.keep:
            recreate_database(admin_url, drop_only=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in ("--seed", "--export", "--lists"):
        run_child(sys.argv[1:])
    else:
        main()
