"""Where a form-page request spends its time: cProfile over Django's WSGI application, in one process.

    .venv/bin/python bench/form_profile.py [--requests 500] [--top 30] [--endpoint "form page"]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/form_profile.py

The same settings, data and requests as ``bench/form.py``, but no server and no network: each request
is a WSGI call into ``config.wsgi.application``, so the middleware, the view, the template and the
end-of-request signals (which close the database connection when ``CONN_MAX_AGE`` is 0) all run as they
do under gunicorn. For each endpoint it prints the wall time and queries per request and, for the
profiled ones, the functions with the most cumulative and the most own time. Not part of the test run.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.form import BENCH_DB, make_links, postgres_admin_url, postgres_run  # noqa: E402


def wsgi_environ(method: str, path: str, body: bytes = b"") -> dict:
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/x-www-form-urlencoded" if body else "",
        "CONTENT_LENGTH": str(len(body)) if body else "",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=500, help="per endpoint (default 500)")
    parser.add_argument("--top", type=int, default=30, help="functions to list (default 30)")
    parser.add_argument(
        "--endpoint", action="append", help='profile only these ("minimal", "form page", "page save"); default all'
    )
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="tandem-bench-form-profile-"))
    admin_url = postgres_admin_url()
    if admin_url is None:
        os.environ.pop("DATABASE_URL", None)
    else:
        postgres_run(admin_url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)", f"CREATE DATABASE {BENCH_DB}")
    for name in ("REDIS_URL", "EMAIL_URL"):
        os.environ.pop(name, None)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.form_settings",
            "TANDEM_VAR_DIR": str(var_dir),
            "SECRET_KEY": secrets.token_urlsafe(50),
            "LOG_LEVEL": "ERROR",
        }
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    (token,), questions = make_links(1)
    connections.close_all()
    body = urlencode({**{f"item-{key}": codes[0] for key, codes in questions.items()}, "action": "save"}).encode()
    from config.wsgi import application

    endpoints = {
        "minimal": ("GET", "/bench/minimal/", b"", 200),
        "form page": ("GET", f"/q/{token}/page/1/", b"", 200),
        "page save": ("POST", f"/q/{token}/page/1/", body, 303),
    }
    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    def call(method: str, path: str, body: bytes, expect: int) -> None:
        statuses = []
        result = application(wsgi_environ(method, path, body), lambda status, headers: statuses.append(status))
        try:
            b"".join(result)
        finally:
            result.close()  # request_finished: closes the connection if CONN_MAX_AGE says so
        assert statuses[0].startswith(str(expect)), (path.split("/")[1], statuses[0])

    connection.execute_wrappers.append(count)  # the wrapper outlives reconnections
    print(f"Database: {connection.vendor} {connection.settings_dict['NAME']}; {args.requests} requests per endpoint")
    try:
        for name, request in endpoints.items():
            for _ in range(20):
                call(*request)
            queries = 0
            started = time.perf_counter()
            for _ in range(args.requests):
                call(*request)
            took = (time.perf_counter() - started) / args.requests
            print(f"{name:<10} {took * 1000:6.2f} ms per request, {queries / args.requests:.1f} queries per request")
        for name, request in endpoints.items():
            chosen = name in args.endpoint if args.endpoint else name != "minimal"
            if not chosen:
                continue
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(args.requests):
                call(*request)
            profile.disable()
            for order in ("cumulative", "tottime"):
                print(f"\n=== {name}: top {args.top} by {order} ({args.requests} requests) ===")
                stats = pstats.Stats(profile, stream=sys.stdout).strip_dirs().sort_stats(order)
                stats.print_stats(args.top)
    finally:
        connections.close_all()
        if admin_url is not None:
            postgres_run(admin_url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
