"""Run the whole practice in one terminal: the web server and a Celery worker with beat."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
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
        broker = "Redis" if settings.REDIS_URL else f"a broker folder under {settings.VAR_DIR}"
        self.stdout.write(f"Starting the web server on http://{addrport}/ and a Celery worker on {broker}.")
        raise SystemExit(Supervisor({"web": web, "worker": worker}, stream=self.stdout).run())


class Supervisor:
    """Start processes, prefix their output, and stop them all together."""

    def __init__(self, commands: dict[str, list[str]], *, stream, grace: float = 10.0) -> None:
        self.commands = commands
        self.stream = stream
        self.grace = grace
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self._stopping = threading.Event()
        self._lock = threading.Lock()

    def run(self) -> int:
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            for name, command in self.commands.items():
                process = subprocess.Popen(  # noqa: S603 - our own fixed commands
                    command,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    env={**os.environ, "PYTHONUNBUFFERED": "1"},
                )
                self.processes[name] = process
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
