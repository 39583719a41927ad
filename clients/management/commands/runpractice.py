"""Run the whole practice in one terminal: the web server and a Celery worker with beat.

The children run in sessions of their own, so the terminal's Ctrl-C reaches runpractice alone and it
stops them once, in order (a Celery worker takes a second SIGINT as "cold shutdown, drop the running
task"). Being outside our process group, they would outlive a SIGKILL of runpractice or of its group;
on Linux each child therefore asks the kernel for SIGTERM when runpractice dies (``PR_SET_PDEATHSIG``),
and on SIGTERM runserver's reloader kills its server and the worker stops its pool and beat.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import ipaddress
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Start the development web server and a Celery worker with embedded beat; "
        "Ctrl-C (or SIGTERM) stops every process it started."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000", help="host:port for the web server")
        parser.add_argument("--no-reload", action="store_true", help="Do not restart the web server on code changes.")

    def handle(self, *args, addrport: str, no_reload: bool, **options) -> None:
        manage = str(Path(settings.BASE_DIR) / "manage.py")
        web = [sys.executable, manage, "runserver", addrport]
        if no_reload:
            web.append("--noreload")
        worker = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--beat",
            "--loglevel",
            "INFO",
            "--concurrency",
            "1",
            "--schedule",
            str(Path(settings.VAR_DIR) / "celerybeat-schedule"),
        ]
        environment = {"DJANGO_RUNSERVER_HIDE_WARNING": "true"}  # we know it is the development server
        if not os.environ.get("TANDEM_SITE_URL"):
            # Links in emails point where this server answers, unless the site URL is set.
            environment["TANDEM_SITE_URL"] = site_url_for(addrport)
        site = environment.get("TANDEM_SITE_URL") or settings.TANDEM_SITE_URL
        broker = "Redis" if settings.REDIS_URL else f"a broker folder under {settings.VAR_DIR}"
        self.stdout.write(f"Starting the web server on {site}/admin/ and a Celery worker on {broker}.")
        if settings.EMAIL_BACKEND.endswith("console.EmailBackend"):
            self.stdout.write(f"Emails are printed below by the worker; a client's link starts with {site}/q/.")
        supervisor = Supervisor({"web": web, "worker": worker}, stream=self.stdout, environment=environment)
        raise SystemExit(supervisor.run())


def site_url_for(addrport: str) -> str:
    """The address a browser on this machine uses for runserver's ``addrport`` ("8001", "0.0.0.0:8001", …)."""
    host, _, port = addrport.rpartition(":")
    bare = host.strip("[]")
    if bare in ("", "0") or _every_interface(bare):  # every interface answers on the loopback too
        host = "[::1]" if ":" in bare else "127.0.0.1"
    return f"http://{host}:{port}"


def _every_interface(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:  # a name, such as localhost
        return False


def _die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that has the kernel send the child SIGTERM when we die (Linux), else None.

    libc's ``prctl`` is looked up here, in the parent, so the child runs no import or lookup between
    fork and exec. If we died before the child asked, it exits at once.
    """
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True).prctl
    parent = os.getpid()

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:
            os._exit(1)

    return preexec


PR_SET_PDEATHSIG = 1


class Supervisor:
    """Start processes, prefix their output, and stop them all together."""

    def __init__(
        self, commands: dict[str, list[str]], *, stream, grace: float = 10.0, environment: dict[str, str] | None = None
    ) -> None:
        self.commands = commands
        self.environment = environment or {}
        self.stream = stream
        self.grace = grace
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self._stopping = threading.Event()
        self._lock = threading.Lock()

    def run(self) -> int:
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            preexec = _die_with_parent()
            # Every child is started before any thread of ours runs, as a preexec_fn requires.
            for name, command in self.commands.items():
                self.processes[name] = subprocess.Popen(  # noqa: S603 - our own fixed commands
                    command,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    preexec_fn=preexec,  # started before our threads; it only calls prctl
                    env={**os.environ, **self.environment, "PYTHONUNBUFFERED": "1"},
                )
            for name, process in self.processes.items():
                threading.Thread(target=self._pump, args=(name, process), daemon=True).start()
            exit_code = 0
            while not self._stopping.is_set():
                for name, process in self.processes.items():
                    if process.poll() is not None:
                        self._write(f"{name} exited with status {process.returncode}; stopping the others.")
                        exit_code = process.returncode or 1
                        self._stopping.set()
                        break
                self._stopping.wait(0.5)
            self._stop_all()
            return exit_code
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _on_signal(self, signum: int, frame) -> None:
        self._stopping.set()

    def _stop_all(self) -> None:
        self._write("Stopping…")
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + self.grace
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._signal_group(process, signal.SIGKILL)
                process.wait()
        # Whatever a child left behind in its process group (e.g. the reloader's server) goes too.
        for process in self.processes.values():
            self._signal_group(process, signal.SIGKILL)
        self._write("All processes stopped.")

    @staticmethod
    def _signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)

    def _pump(self, name: str, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None  # noqa: S101 - set by Popen above
        for raw in iter(process.stdout.readline, b""):
            self._write(raw.decode("utf-8", "replace").rstrip("\n"), prefix=name)

    def _write(self, line: str, prefix: str = "tandem") -> None:
        with self._lock:
            self.stream.write(f"{prefix:>7} | {line}")
            self.stream.flush()
