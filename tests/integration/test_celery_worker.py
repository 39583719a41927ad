"""A real Celery worker on Redis runs what the web process queues, and mail reaches SMTP."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.urls import reverse

from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]

WORKER = [sys.executable, "-m", "celery", "-A", "config", "worker"]

pytestmark = [pytest.mark.services, pytest.mark.slow]


def database_url_of_test_db() -> str:
    conf = connection.settings_dict
    auth = quote(conf["USER"] or "")
    if conf.get("PASSWORD"):
        auth += ":" + quote(conf["PASSWORD"])
    return f"postgres://{auth}@{conf['HOST'] or '127.0.0.1'}:{conf['PORT'] or 5432}/{conf['NAME']}"


def worker_environment(tmp_path: Path, redis_url: str, smtp_url: str, **extra: str) -> dict[str, str]:
    """A worker's whole environment: the test database, Redis, the test SMTP server, nothing else."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "TANDEM_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": database_url_of_test_db(),
        "REDIS_URL": redis_url,
        "EMAIL_URL": smtp_url,
        **extra,
    }


class Worker:
    def __init__(self, environment: dict[str, str], *options: str) -> None:
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [*WORKER, *(options or ("--pool", "solo")), "--loglevel", "INFO", "--without-mingle", "--without-gossip"],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    def wait_for(self, text: str, timeout: float = 60.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines):
                return True
            if self.process.poll() is not None:
                return False
            time.sleep(0.1)
        return False

    def kill(self) -> None:
        """SIGKILL, as when a machine dies: no warm shutdown, no acknowledgements."""
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_on_redis_sends_the_email_queued_by_the_admin(
    redis_url, postgres, smtp_server, client, tess, harbour, tmp_path
):
    sink, smtp_url = smtp_server
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    worker = Worker(worker_environment(tmp_path, redis_url, smtp_url))
    try:
        assert worker.wait_for("ready."), "".join(worker.lines)
        client.force_login(tess)
        response = client.post(
            reverse("admin:practice_practice_changelist"),
            {"action": "send_email_check", "_selected_action": [harbour.pk]},
        )
        assert response.status_code == 302
        messages = sink.wait_for(1)
        assert worker.wait_for("succeeded"), "".join(worker.lines)
    finally:
        worker.stop()
    assert len(messages) == 1, "".join(worker.lines)
    [message] = messages
    assert message["To"] == "tess@example.org"
    assert message["Subject"] == "Test email from Harbour Light"
    assert message.get_body(preferencelist=("plain",)).get_content().startswith("Hello Tess")
    assert message.get_body(preferencelist=("html",)) is not None
    log = "".join(worker.lines)
    assert "Task mail.drain_outbox[" in log
    assert "tess@example.org" not in log  # ids travel and are logged, never addresses
