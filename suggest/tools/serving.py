"""Starting `suggest serve` in a child process for measurements and tests, and stopping it cleanly."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import SuggestError
from ..settings import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class ServerProcess:
    pid: int
    parent: int
    rss_mb: float
    command: str


def server_processes(group: int) -> list[ServerProcess]:
    """The processes of a server's process group (the `suggest serve` shell, gunicorn's arbiter, its workers)
    with their resident memory, from /proc (Linux)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[2]) != group:  # fields: state, ppid, pgrp, ...
                continue
            rss_kb = next(int(line.split()[1]) for line in (entry / "status").read_text().splitlines()
                          if line.startswith("VmRSS:"))
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except (OSError, ValueError, StopIteration):
            continue
        found.append(ServerProcess(int(entry.name), int(fields[1]), rss_kb / 1024, command))
    return sorted(found, key=lambda p: p.pid)


def total_pss_mb(group: int) -> float:
    """The memory a server's processes hold together: their proportional set sizes summed, so the pages the
    workers share with the arbiter they were forked from count once (a sum of RSS counts them per process)."""
    total = 0
    for process in server_processes(group):
        try:
            rollup = Path(f"/proc/{process.pid}/smaps_rollup").read_text()
        except OSError:  # ended meanwhile
            continue
        total += next((int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:")), 0)
    return total / 1024


def workers_of(processes: list[ServerProcess]) -> list[ServerProcess]:
    """The leaves of the group's tree: the processes that answer requests."""
    parents = {p.parent for p in processes}
    return [p for p in processes if p.pid not in parents]


@dataclass(frozen=True)
class RunningServer:
    url: str
    group: int  # its process group: `server_processes(group)`


def every_worker_ready(url: str, workers: int, timeout_s: float) -> None:
    """/readyz answers 200 from the first worker ready while others may still load the model (and answer 503 to
    what they are sent meanwhile): asked on new connections until `workers` distinct workers said ready."""
    ready: set[int] = set()
    deadline = time.monotonic() + max(timeout_s, 10.0)
    while len(ready) < workers:
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=10) as response:
                ready.add(json.loads(response.read())["worker"])
        except OSError:  # 503 from a worker still loading
            time.sleep(0.2)
        if time.monotonic() > deadline:
            raise SuggestError(f"only {len(ready)} of {workers} workers were ready within {timeout_s:.0f} s")


@contextlib.contextmanager
def running_server(settings: Settings, timeout_s: float = 120.0,
                   env: dict[str, str] | None = None) -> Iterator[RunningServer]:
    """`suggest serve` (gunicorn) on a free loopback port; yields it once every worker is ready. `env`: settings
    (SUGGEST_*) of this server beside the caller's environment."""
    port = free_port()
    command = [sys.executable, "-m", "suggest.cli", "--home", str(settings.home), "serve",
               "--host", "127.0.0.1", "--port", str(port), "--workers", str(settings.workers)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}
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
        every_worker_ready(base_url, settings.workers, deadline - time.monotonic())
        yield RunningServer(base_url, process.pid)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
