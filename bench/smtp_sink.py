"""aiosmtpd's Sink SMTP server in its own process, for the benches that send mail to it."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator


@contextlib.contextmanager
def sink_server(timeout: float = 10.0) -> Iterator[int]:
    """Start the Sink on a free loopback port, yield the port once it accepts connections, stop it after."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink", "-l", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if sink.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"The Sink SMTP server did not start on port {port}.")
                time.sleep(0.05)
        yield port
    finally:
        sink.terminate()
        sink.wait()
