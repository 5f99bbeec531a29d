"""A small load test for a running `suggest serve`: requests/s and latency at several concurrency levels.

Threads with keep-alive `http.client` connections POST buyer messages to /api/v1/suggest on a loopback
address only (it is a tool for measuring your own server, not anyone else's). Each level is bounded both
in time (duration_s) and in count (max_requests), so a run always ends.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")


@dataclass
class LevelReport:
    concurrency: int
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests only
    statuses: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def percentile(self, p: float) -> float | None:
        """Nearest-rank percentile of the successful latencies, in milliseconds."""
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        rank = max(1, min(len(ordered), int(-(-p * len(ordered) // 100))))
        return ordered[rank - 1] * 1000.0


def _loopback_target(base_url: str) -> tuple[str, int, str]:
    parts = urlsplit(base_url)
    if parts.scheme != "http":
        raise ValueError(f"only plain http:// on a loopback address is supported, not {base_url!r}")
    host = parts.hostname or ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host.lower() in LOOPBACK_NAMES
    if not loopback:
        raise ValueError(f"refusing to load-test {host!r}: only loopback addresses (127.0.0.1, ::1, localhost)")
    return host, parts.port or 80, parts.path.rstrip("/")


def _run_level(host: str, port: int, path: str, bodies: list[bytes], concurrency: int, duration_s: float,
               max_requests: int, timeout_s: float, headers: dict[str, str]) -> LevelReport:
    report = LevelReport(concurrency)
    lock = threading.Lock()
    issued = 0
    started = time.perf_counter()
    deadline = started + duration_s

    def claim() -> int | None:
        nonlocal issued
        with lock:
            if issued >= max_requests or time.perf_counter() >= deadline:
                return None
            issued += 1
            return issued - 1

    def record(status: str, latency: float | None) -> None:
        with lock:
            report.requests += 1
            report.statuses[status] = report.statuses.get(status, 0) + 1
            if latency is None:
                report.errors += 1
            else:
                report.latencies.append(latency)

    def worker() -> None:
        conn: http.client.HTTPConnection | None = None
        try:
            while (n := claim()) is not None:
                if conn is None:
                    conn = http.client.HTTPConnection(host, port, timeout=timeout_s)
                begun = time.perf_counter()
                try:
                    conn.request("POST", path, body=bodies[n % len(bodies)], headers=headers)
                    response = conn.getresponse()
                    response.read()
                    latency = time.perf_counter() - begun
                    record(str(response.status), latency if response.status == 200 else None)
                    if response.will_close:
                        conn.close()
                        conn = None
                except (OSError, http.client.HTTPException) as exc:
                    record(type(exc).__name__, None)
                    conn.close()
                    conn = None
        finally:
            if conn is not None:
                conn.close()

    threads = [threading.Thread(target=worker, name=f"load-{concurrency}-{i}", daemon=True)
               for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(duration_s + timeout_s + 5.0)
    report.seconds = time.perf_counter() - started
    return report


def format_reports(reports: list[LevelReport], url: str) -> str:
    def ms(value: float | None) -> str:
        return f"{value:.1f}" if value is not None else "-"

    lines = [f"load test of {url}",
             f"{'concurrency':>11}  {'requests':>8}  {'errors':>6}  {'req/s':>8}  {'p50 ms':>8}  {'p99 ms':>8}"]
    for r in reports:
        lines.append(f"{r.concurrency:>11}  {r.requests:>8}  {r.errors:>6}  {r.rate:>8.1f}  "
                     f"{ms(r.percentile(50)):>8}  {ms(r.percentile(99)):>8}")
        failed = {status: count for status, count in r.statuses.items() if status != "200"}
        if failed:
            lines.append(f"{'':>11}  errors by kind: " + ", ".join(f"{k} x{v}" for k, v in sorted(failed.items())))
    return "\n".join(lines)


def run_loadtest(base_url: str, messages: list[str], concurrency_levels=(1, 8, 32), duration_s: float = 5.0,
                 max_requests: int = 2000, *, timeout_s: float = 30.0, api_key: str | None = None) -> str:
    """Load-test POST {base_url}/api/v1/suggest and return the table (one row per concurrency level).

    Every level runs until `duration_s` seconds have passed or `max_requests` requests were sent, whichever
    comes first; messages are sent round-robin. Latency percentiles cover successful (200) responses; any
    other status or a connection failure counts as an error.
    """
    if not messages:
        raise ValueError("give at least one message to send")
    if duration_s <= 0 or max_requests < 1:
        raise ValueError("duration_s must be positive and max_requests at least 1")
    levels = [int(c) for c in concurrency_levels]
    if not levels or any(c < 1 or c > 256 for c in levels):
        raise ValueError("concurrency levels must be from 1 to 256")
    host, port, prefix = _loopback_target(base_url)
    path = f"{prefix}/api/v1/suggest"
    headers = {"Content-Type": "application/json", "Connection": "keep-alive"}
    if api_key:
        headers["X-API-Key"] = api_key
    bodies = [json.dumps({"message": m}, ensure_ascii=False).encode("utf-8") for m in messages]
    reports = [_run_level(host, port, path, bodies, c, duration_s, max_requests, timeout_s, headers)
               for c in levels]
    return format_reports(reports, f"http://{host}:{port}{path}")
