"""A newcomer's first ten minutes: `make run` on another port, assign, open the link the worker printed.

Then the practice is stopped the hard way: runpractice itself is killed (SIGKILL), and its web server
and worker must go with it, leaving the port free and no process behind.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.integration.test_runpractice import Browser, process_ids_marked

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"(http://[^\s\"<>]+/q/[A-Za-z0-9_-]{43}/)")

pytestmark = pytest.mark.slow


class Practice:
    """`make run` with ADDRPORT on a free port and a var/ of its own; every line it prints is kept."""

    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.marker = f"TANDEM_VAR_DIR={tmp / 'var'}"
        environment = {
            "PATH": os.environ["PATH"],
            "HOME": str(tmp),
            "TANDEM_VAR_DIR": str(tmp / "var"),
            "ADDRPORT": f"127.0.0.1:{self.port}",
        }
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            ["make", "--no-print-directory", "run"],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=lambda: self.lines.extend(iter(self.process.stdout.readline, "")), daemon=True).start()

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, pattern: str, timeout: float = 120.0) -> re.Match | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, self.output)
            if found:
                return found
            if self.process.poll() is not None:
                return re.search(pattern, self.output)
            time.sleep(0.2)
        return None

    def runpractice_pid(self) -> int:
        for pid in process_ids_marked(self.marker):
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"runpractice" in command:
                return pid
        raise AssertionError("runpractice is not running:\n" + self.output)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        for pid in process_ids_marked(self.marker):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def practice(tmp_path_factory):
    running = Practice(tmp_path_factory.mktemp("make-run"))
    try:
        assert running.wait_for(r"Starting development server at"), running.output
        assert running.wait_for(r"worker \| .*ready\."), running.output
        yield running
    finally:
        running.stop()


def test_the_client_link_printed_by_the_worker_opens_on_the_port_make_run_serves(practice):
    output_before = practice.output
    assert "AXES: BEGIN" not in output_before, "no axes version line at start"
    assert "No hostname was supplied" not in output_before, "no kombu notice at start"

    uma = Browser(practice.base)
    uma.sign_in("uma@demo", "tandem-demo-uma")
    _, clients_page = uma.get("/admin/clients/client/")
    fiona = re.search(r'href="/admin/clients/client/(\d+)/change/[^"]*">[^<]*Lund<', clients_page)
    assert fiona, clients_page[:3000]
    status, assign_page = uma.get(f"/admin/clients/client/assign/?ids={fiona.group(1)}")
    assert status == 200, assign_page[:2000]
    instrument = re.search(r'<option value="(\d+)"[^>]*>Interdependence in Relationships', assign_page).group(1)
    status, after = uma.post(
        "/admin/clients/client/assign/",
        {"ids": fiona.group(1), "instrument": instrument, "expires_in_days": "14", "message": "", "every_weeks": "4"},
    )
    assert "the invitation is on its way" in after, after[:3000]

    printed = practice.wait_for(r"worker \| .*" + LINK.pattern, timeout=90)
    assert printed, practice.output
    link = printed.group(1)
    assert link.startswith(f"{practice.base}/q/"), f"the link follows ADDRPORT: {link}"
    assert re.search(r"worker \| To: .*fiona\.lund@mail\.example", practice.output), "the recipient is shown"
    status, page = Browser(practice.base).get(link.removeprefix(practice.base))
    assert status == 200, practice.output[-6000:]
    assert "Interdependence in Relationships" in page


def test_killing_runpractice_stops_the_web_server_and_the_worker(practice):
    marked_before = process_ids_marked(practice.marker)
    assert len(marked_before) >= 4, "make, runpractice, the web server and the worker are running"
    os.kill(practice.runpractice_pid(), signal.SIGKILL)

    deadline = time.monotonic() + 30
    while process_ids_marked(practice.marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = process_ids_marked(practice.marker)
    assert not left, f"processes left behind: {[Path(f'/proc/{pid}/cmdline').read_bytes() for pid in left]}"
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", practice.port)) != 0, "the port is free"
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        Browser(practice.base).get("/admin/login/")
