"""The client's questionnaire form under gunicorn, side by side with a minimal Django view.

    .venv/bin/python bench/form.py [--workers 2] [--concurrency 8] [--seconds 8] [--rounds 2]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/form.py

It makes a scratch database (SQLite in a temporary folder, or ``tandem_bench_form`` on the
PostgreSQL server that ``DATABASE_URL`` names), migrates it, collects the static files and assigns the
bundled questionnaire to one client per load-generator thread, each with its own private link. Then it
starts gunicorn (sync workers, ``bench.form_settings``: production settings over plain HTTP on
127.0.0.1) and, from a second process, keeps ``--concurrency`` requests in flight against:

* ``minimal``: ``/bench/minimal/``, a view returning three bytes, behind the same middleware (the baseline);
* ``form page``: ``GET /q/<token>/page/1/``, the first page of the questionnaire (nine questions);
* ``page save``: ``POST /q/<token>/page/1/`` with all nine answers and ``action=save`` (a 303 to "saved").

The endpoints take turns for ``--rounds`` rounds of ``--seconds`` each, after a warm-up; a turn during
which other processes took more than a tenth of the machine is measured again (``--retries``). It prints
requests per second, median and 95th-percentile latency, the ratio of each endpoint's throughput to
the minimal view's, and the CPU time per request of gunicorn, of PostgreSQL (SQLite runs inside gunicorn),
of the load generator and of everything else on the machine (which should be next to nothing). It exits
non-zero if any request failed or got another status than expected (200; 303 for the save). Not part of
the test run.
"""

from __future__ import annotations

import argparse
import http.client
import logging
import multiprocessing
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "tandem_bench_form"  # the same name as bench.form_settings.BENCH_DATABASE
SLUG = "interdependence-in-relationships"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
OTHERS_LIMIT = 0.1  # share of the machine other processes may take while we measure
TARGET = 0.35  # the form page's share of the minimal view's throughput (issue #13)


# --- The load generator (runs in its own process) ---------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """What one load-generator thread sends over and over, and the status it must get back.

    ``bodies`` are taken in turn (a GET has none).
    """

    method: str
    path: str
    expect: int
    bodies: tuple[bytes, ...] = ()


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    first_failure: str = ""
    elapsed: float = 0.0
    client_cpu: float = 0.0
    server_cpu: float = 0.0
    database_cpu: float = 0.0  # PostgreSQL's processes (SQLite works inside the server's)
    other_cpu: float = 0.0  # every other process on the machine meanwhile

    def add(self, other: Tally) -> None:
        self.latencies += other.latencies
        if other.failures and not self.failures:
            self.first_failure = other.first_failure
        self.failures += other.failures
        self.elapsed += other.elapsed
        self.client_cpu += other.client_cpu
        self.server_cpu += other.server_cpu
        self.database_cpu += other.database_cpu
        self.other_cpu += other.other_cpu


def _hammer(port: int, call: Call, deadline: float, out: Tally, lock: threading.Lock) -> None:
    """One client: send ``call`` until ``deadline``, on one connection kept open while the server allows."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if call.method == "POST" else {}
    latencies: list[float] = []
    failures = 0
    first_failure = ""
    sent = 0
    while time.perf_counter() < deadline:
        body = call.bodies[sent % len(call.bodies)] if call.bodies else None
        sent += 1
        started = time.perf_counter()
        try:
            connection.request(call.method, call.path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            status, problem = 0, f"{type(exc).__name__}: {exc}"
        else:
            problem = f"HTTP {status}, not {call.expect}"
        if status == call.expect:
            latencies.append(time.perf_counter() - started)
        else:
            failures += 1
            first_failure = first_failure or f"{call.method} {call.path.split('/')[1]}/…: {problem}"
    connection.close()
    with lock:
        out.latencies += latencies
        out.failures += failures
        out.first_failure = out.first_failure or first_failure


def load(port: int, calls: list[Call], seconds: float, server_pid: int) -> Tally:
    """Run one thread per call for ``seconds``; the tally holds the CPU both sides spent meanwhile."""
    tally = Tally()
    lock = threading.Lock()
    server_before, database_before = server_cpu_seconds(server_pid), database_cpu_seconds()
    client_before, busy_before = time.process_time(), busy_seconds()
    started = time.perf_counter()
    deadline = started + seconds
    threads = [threading.Thread(target=_hammer, args=(port, call, deadline, tally, lock)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tally.elapsed = time.perf_counter() - started
    tally.client_cpu = time.process_time() - client_before
    tally.server_cpu = server_cpu_seconds(server_pid) - server_before
    tally.database_cpu = database_cpu_seconds() - database_before
    tally.other_cpu = busy_seconds() - busy_before - tally.client_cpu - tally.server_cpu - tally.database_cpu
    return tally


def busy_seconds() -> float:
    """CPU time the whole machine has spent busy (all cores), from /proc/stat."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = Path("/proc/stat").read_text().split()[1:9]
    return sum(int(ticks) for ticks in (user, nice, system, irq, softirq, steal)) / CLOCK_TICKS


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes so far, from /proc."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / CLOCK_TICKS


def server_cpu_seconds(pid: int) -> float:
    """gunicorn's arbiter and its workers."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return cpu_seconds([pid, *(int(child) for child in children.read_text().split())])


def database_cpu_seconds() -> float:
    """Every PostgreSQL process on the machine: the backends serving the workers, and the writers behind them."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                continue
    return cpu_seconds(pids)


# --- Setting up (in this process) and serving (gunicorn) -------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_admin_url() -> str | None:
    """The maintenance database's URL when DATABASE_URL points at PostgreSQL, else None (SQLite)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return None
    return urlunsplit(urlsplit(url)._replace(path="/postgres")).replace("postgres://", "postgresql://", 1)


def postgres_run(admin_url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def make_links(count: int) -> tuple[list[str], dict[str, list[str]]]:
    """One client, assignment and private link per load-generator thread; and page 1's questions and codes."""
    from bench_practice import bench_practice_create
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from assessments.assignments import assignment_create, assignment_dispatch
    from assessments.links import link_issue
    from assessments.models import Instrument
    from assessments.services import published_form
    from clients.models import Channel, Client
    from clients.services import consent_set
    from practice.models import Membership, Role

    practice = bench_practice_create()
    therapist = get_user_model().objects.create_user(
        username="therapist@bench", email="therapist@bench.example", first_name="Theo", last_name="Bench"
    )
    Membership.objects.create(practice=practice, user=therapist, role=Role.THERAPIST)
    version = Instrument.objects.get(slug=SLUG).published_version
    tokens = []
    for n in range(count):
        client = Client.objects.create(
            practice=practice, therapist=therapist, first_name=f"Client{n}", last_name="Bench", email=f"c{n}@bench.ex"
        )
        consent_set(client=client, channel=Channel.QUESTIONNAIRES, given=True, source="bench")
        assignment = assignment_create(version=version, respondent=client, send_at=timezone.now())
        assert assignment_dispatch(assignment_id=assignment.pk)
        assignment.refresh_from_db()
        tokens.append(link_issue(assignment=assignment))
    first_page = published_form(version).pages[0]
    questions = {
        item["key"]: [option["code"] for option in item.get("_options") or item["options"]]
        for item in first_page["items"]
        if item["type"] == "single_choice"
    }
    return tokens, questions


def saved_answers(tokens: list[str], keys: list[str]) -> int:
    """How many of the links' assignments hold an answer to every question of page 1."""
    from assessments.links import link_resolve

    return sum(1 for token in tokens if set(keys) <= set(link_resolve(token)[0].draft_answers))


class Server:
    """gunicorn: sync workers on 127.0.0.1, output in ``log``; started once the minimal view answers."""

    def __init__(self, environment: dict[str, str], port: int, workers: int, log: Path) -> None:
        self.port = port
        self.log = log
        command = [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}"]
        command += ["--workers", str(workers), "--worker-class", "sync", "--log-level", "warning"]
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=environment, stdout=output, stderr=output, start_new_session=True
            )
        deadline = time.monotonic() + 60
        while True:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            try:
                connection.request("GET", "/bench/minimal/")
                if connection.getresponse().status == 200:
                    return
            except (OSError, http.client.HTTPException):
                pass
            finally:
                connection.close()
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                sys.exit(f"gunicorn did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=60)


# --- Reporting ------------------------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def report(tallies: dict[str, Tally]) -> None:
    baseline = len(tallies["minimal"].latencies) / tallies["minimal"].elapsed
    cores = os.cpu_count() or 1
    print(
        f"\n{'endpoint':<10} {'requests':>9} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'vs minimal':>10} "
        f"{'CPU ms/req: server':>18} {'database':>8} {'client':>7} {'others':>7} {'failed':>7}"
    )
    busiest_others = 0.0
    for name, tally in tallies.items():
        count = max(len(tally.latencies), 1)
        rate = len(tally.latencies) / tally.elapsed
        busiest_others = max(busiest_others, tally.other_cpu / (tally.elapsed * cores))
        print(
            f"{name:<10} {len(tally.latencies):>9} {rate:>7.0f} {percentile(tally.latencies, 0.5) * 1000:>7.1f} "
            f"{percentile(tally.latencies, 0.95) * 1000:>7.1f} {rate / baseline:>10.0%} "
            f"{tally.server_cpu * 1000 / count:>18.2f} {tally.database_cpu * 1000 / count:>8.2f} "
            f"{tally.client_cpu * 1000 / count:>7.2f} "
            f"{tally.other_cpu * 1000 / count:>7.2f} {tally.failures:>7}"
        )
    ratio = len(tallies["form page"].latencies) / tallies["form page"].elapsed / baseline
    verdict = "met" if ratio >= TARGET else "NOT met"
    print(f"\nForm page at {ratio:.0%} of the minimal view's throughput: target (at least {TARGET:.0%}) {verdict}.")
    if busiest_others > OTHERS_LIMIT:
        print(f"Warning: other processes took up to {busiest_others:.0%} of the machine meanwhile; figures are low.")
    print("\n| endpoint | requests | req/s | p50 | p95 | vs minimal | CPU per request: gunicorn + database |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, tally in tallies.items():
        count = len(tally.latencies)
        rate = count / tally.elapsed
        print(
            f"| {name} | {count:,} | {rate:.0f} | {percentile(tally.latencies, 0.5) * 1000:.1f} ms "
            f"| {percentile(tally.latencies, 0.95) * 1000:.1f} ms | {rate / baseline:.0%} "
            f"| {tally.server_cpu * 1000 / max(count, 1):.2f} + {tally.database_cpu * 1000 / max(count, 1):.2f} ms |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight (default 8)")
    parser.add_argument("--seconds", type=float, default=8, help="per endpoint and round (default 8)")
    parser.add_argument("--rounds", type=int, default=2, help="the endpoints take turns this often (default 2)")
    parser.add_argument("--warmup", type=float, default=2, help="seconds per endpoint before measuring (default 2)")
    parser.add_argument(
        "--retries", type=int, default=3, help="measure again when other processes got busy meanwhile (default 3)"
    )
    args = parser.parse_args()
    before = busy_seconds()
    time.sleep(1)
    if (busy := (busy_seconds() - before) / (os.cpu_count() or 1)) > OTHERS_LIMIT:
        print(f"Warning: the machine is {busy:.0%} busy before we start; run on an otherwise idle one.", flush=True)

    var_dir = Path(tempfile.mkdtemp(prefix="tandem-bench-form-"))
    admin_url = postgres_admin_url()
    environment = {
        **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "DATABASE_URL")},
        "DJANGO_SETTINGS_MODULE": "bench.form_settings",
        "PYTHONPATH": str(ROOT),
        "TANDEM_VAR_DIR": str(var_dir),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "LOG_LEVEL": "WARNING",
    }
    if admin_url is None:
        environment.pop("DATABASE_URL", None)
    else:
        postgres_run(admin_url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)", f"CREATE DATABASE {BENCH_DB}")
    for name in ("DATABASE_URL", "REDIS_URL", "EMAIL_URL"):  # Celery's broker and the cache stay in var_dir/memory
        os.environ.pop(name, None)
    os.environ.update(environment)
    sys.path.insert(0, str(ROOT))
    servers: list[Server] = []
    try:
        tallies, saved, links = measure(args, environment, var_dir, servers)
        failures = sum(tally.failures for tally in tallies.values())
        if failures:
            print(f"\nThe end of gunicorn's log:\n{(var_dir / 'gunicorn.log').read_text(errors='replace')[-3000:]}")
    finally:
        for server in servers:
            server.stop()
        if admin_url is not None:
            from django.db import connections

            connections.close_all()
            postgres_run(admin_url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        shutil.rmtree(var_dir, ignore_errors=True)

    report(tallies)
    if saved != links:
        sys.exit(f"Only {saved} of {links} assignments hold the saved page: the saves did not save.")
    if failures:
        firsts = "; ".join(tally.first_failure for tally in tallies.values() if tally.failures)
        sys.exit(f"{failures} request(s) failed: {firsts}")


def measure(
    args: argparse.Namespace, environment: dict[str, str], var_dir: Path, servers: list[Server]
) -> tuple[dict[str, Tally], int, int]:
    """Set up, serve and measure; returns the tallies, and how many of how many links hold the saved page."""
    import django

    django.setup()
    logging.getLogger("kombu").setLevel(logging.ERROR)  # the invitations queue on a broker folder, unread
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    database = settings.DATABASES["default"]
    print(f"Database: {database['ENGINE'].rsplit('.', 1)[-1]} {database['NAME']}", flush=True)
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # production storage needs the manifest
    tokens, questions = make_links(args.concurrency)
    connections.close_all()

    def bodies(thread: int) -> tuple[bytes, ...]:
        """Every question on page 1 answered, the answers turning over from one request to the next."""
        return tuple(
            urlencode(
                {
                    **{
                        f"item-{key}": codes[(turn + thread + i) % len(codes)]
                        for i, (key, codes) in enumerate(questions.items())
                    },
                    "action": "save",
                }
            ).encode()
            for turn in range(5)
        )

    endpoints = {
        "minimal": [Call("GET", "/bench/minimal/", 200) for _ in tokens],
        "form page": [Call("GET", f"/q/{token}/page/1/", 200) for token in tokens],
        "page save": [Call("POST", f"/q/{token}/page/1/", 303, bodies(n)) for n, token in enumerate(tokens)],
    }
    server = Server(environment, free_port(), args.workers, var_dir / "gunicorn.log")
    servers.append(server)
    tallies = {name: Tally() for name in endpoints}
    print(
        f"gunicorn: {args.workers} sync worker(s) on 127.0.0.1:{server.port}; {args.concurrency} requests in flight "
        f"from a second process; {args.rounds} round(s) of {args.seconds:g} s per endpoint",
        flush=True,
    )
    with multiprocessing.get_context("spawn").Pool(1) as generator:
        for name, calls in endpoints.items():
            warm = generator.apply(load, (server.port, calls, args.warmup, server.process.pid))
            tallies[name].failures += warm.failures
            tallies[name].first_failure = tallies[name].first_failure or warm.first_failure
        for round_number in range(1, args.rounds + 1):
            for name, calls in endpoints.items():
                for attempt in range(args.retries + 1):
                    tally = generator.apply(load, (server.port, calls, args.seconds, server.process.pid))
                    others = tally.other_cpu / (tally.elapsed * (os.cpu_count() or 1))
                    line = f"round {round_number} {name:<10} {len(tally.latencies) / tally.elapsed:7.0f} req/s"
                    if others > OTHERS_LIMIT and attempt < args.retries:
                        print(f"{line}  discarded: other processes took {others:.0%} of the machine", flush=True)
                        tallies[name].failures += tally.failures
                        tallies[name].first_failure = tallies[name].first_failure or tally.first_failure
                        continue
                    break
                tallies[name].add(tally)
                print(
                    line + (f"  {tally.failures} failed ({tally.first_failure})" if tally.failures else ""), flush=True
                )
    saved = saved_answers(tokens, list(questions))
    connections.close_all()
    return tallies, saved, len(tokens)


if __name__ == "__main__":
    main()
