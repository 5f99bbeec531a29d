"""Starting `suggest serve` in a child process for measurements and tests, and stopping it cleanly."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

from ..errors import SuggestError
from ..settings import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_server(settings: Settings, timeout_s: float = 120.0) -> Iterator[str]:
    """`suggest serve` (gunicorn) on a free loopback port; yields its base URL once /readyz answers 200."""
    port = free_port()
    command = [sys.executable, "-m", "suggest.cli", "--home", str(settings.home), "serve",
               "--host", "127.0.0.1", "--port", str(port), "--workers", str(settings.workers)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if process.poll() is not None:
                raise SuggestError(f"`suggest serve` exited with {process.returncode}: "
                                   f"{process.stderr.read().decode(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(f"{base_url}/readyz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SuggestError(f"`suggest serve` was not ready within {timeout_s:.0f} s")
            time.sleep(0.3)
        yield base_url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
