"""`make run` on a fresh checkout: the web server and a real worker, no Redis, one Ctrl-C."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


class Browser:
    """Just enough of a browser for Django's admin: cookies and CSRF."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def post(self, path: str, data: dict[str, object]) -> tuple[int, str]:
        csrf = next(cookie.value for cookie in self.jar if cookie.name == "csrftoken")
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": csrf, **data}, doseq=True).encode()
        request = urllib.request.Request(self.base + path, data=body, headers={"Referer": self.base + path})
        with self.opener.open(request, timeout=10) as response:
            return response.status, response.read().decode()

    def sign_in(self, username: str, password: str) -> str:
        self.get("/admin/login/")
        status, body = self.post("/admin/login/", {"username": username, "password": password, "next": "/admin/"})
        assert status == 200 and "Log out" in body, body[:500]
        return body


def process_ids_marked(marker: str) -> set[int]:
    found = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if marker.encode() in (proc / "environ").read_bytes():
                found.add(int(proc.name))
        except OSError:
            continue
    return found


@pytest.mark.parametrize("broker", ["folder", "redis"])
def test_the_practice_runs_from_a_fresh_checkout(tmp_path, request, broker):
    """With no services (a broker folder under var/), and with REDIS_URL set (Redis): the same command."""
    marker = f"TANDEM_VAR_DIR={tmp_path / 'var'}"
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "TANDEM_VAR_DIR": str(tmp_path / "var"),
        "PYTHONUNBUFFERED": "1",
    }
    if broker == "redis":
        environment["REDIS_URL"] = request.getfixturevalue("redis_url")
    manage = [sys.executable, str(ROOT / "manage.py")]
    started = time.monotonic()
    for step in (["migrate", "--noinput"], ["load_demo"]):
        done = subprocess.run(manage + step, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    assert "uma@demo" in done.stdout and "tandem-demo-uma" in done.stdout

    port = free_port()
    runner = subprocess.Popen(
        [*manage, "runpractice", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(iter(runner.stdout.readline, "")), daemon=True).start()

    def wait_for_output(pattern: str, timeout: float = 60.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(re.search(pattern, line) for line in lines):
                return True
            time.sleep(0.2)
        return False

    try:
        browser = Browser(f"http://127.0.0.1:{port}")
        status = None
        while time.monotonic() - started < 90 and status != 200:
            try:
                status, _ = browser.get("/admin/login/")
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
        assert status == 200, "".join(lines)
        assert wait_for_output(r"worker \| .*ready"), "".join(lines)
        transport = r"redis://" if broker == "redis" else r"filesystem://"
        assert wait_for_output(rf"worker \| .*transport:\s+{transport}"), "".join(lines)

        # Uma, a therapist, sees her own clients only.
        uma = Browser(browser.base)
        uma.sign_in("uma@demo", "tandem-demo-uma")
        _, clients_page = uma.get("/admin/clients/client/")
        assert "fiona.lund@mail.example" in clients_page
        assert "cara.whitfield@mail.example" not in clients_page

        # Tess, the owner, queues a test email from the web; the worker sends it.
        browser.sign_in("tess@demo", "tandem-demo-tess")
        _, practices = browser.get("/admin/practice/practice/")
        practice_id = re.search(r'name="_selected_action" value="(\d+)"', practices).group(1)
        status, page = browser.post(
            "/admin/practice/practice/", {"action": "send_email_check", "_selected_action": practice_id}
        )
        assert "on its way" in page
        assert wait_for_output(r"worker \| .*Task mail\.drain_outbox\[.*\] succeeded"), "".join(lines)
        assert wait_for_output(r"worker \| Subject: Test email from Harbour Light"), "".join(lines)
        assert process_ids_marked(marker), "the web server and worker should be running"
    finally:
        runner.send_signal(signal.SIGINT)
        try:
            runner.wait(timeout=30)
        except subprocess.TimeoutExpired:
            runner.kill()
            raise
    deadline = time.monotonic() + 10
    while process_ids_marked(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not process_ids_marked(marker), "Ctrl-C must stop every process runpractice started"
    assert "All processes stopped." in "".join(lines)
