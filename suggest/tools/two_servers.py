"""Two servers, one state: `python -m suggest.tools.two_servers [--storage URL] [--rounds 5]`.

Starts two `suggest serve` processes on different ports over one home (a copy of this one's corpus and index,
as a shared shops directory would be) and one PostgreSQL (a throwaway one from Debian's package unless
--storage names one), in `learning = "auto"`, and measures, over HTTP as agents and editors use them:

- an edit saved through the first server (a reply's text changed in the editor's API), until the second
  serves the new text;
- a learned example (an agent of the first server sends a reply for a message), until the second ranks that
  reply's situation first for the message;
- an editor's session and failed logins: a login made through one is valid on the other, a logout through one
  ends it on both, and failed logins through one count on the other.

Each round's seconds are printed, with the median and the worst.
"""

from __future__ import annotations

import argparse
import contextlib
import http.cookiejar
import json
import re
import secrets
import shutil
import statistics
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..authoring.accounts import set_editor_password
from ..settings import load_settings
from .local_postgres import local_postgres
from .serving import running_server

LEARNABLE = 0.12  # a situation score comfortably above suggest_threshold (below it, auto keeps it for review)
POLL_SECONDS = 0.05
GIVE_UP_SECONDS = 30.0
# Buyer messages the bundled corpus answers; for each, an agent sends a reply of a situation ranked below the top.
LEARNING_MESSAGES = ["老板这个颜色显旧吗", "我老公说这个不耐脏", "宝宝穿会不会扎", "婆婆嫌款式太花了",
                     "同事说这个牌子一般", "朋友买过说还行", "这个味道大不大啊", "冬天穿冷不冷", "便宜点我今天就拍",
                     "包邮的话我买两件", "昨天拍的还没动静", "收到有点起球", "送人的能开发票吗", "能不能换个大一号",
                     "快递到我们村吗", "赠品可以换别的吗", "拍错颜色了怎么办", "优惠券怎么用不了"]
CONFIRMATIONS = 4  # consecutive answers that must hold (requests reach every worker of the server)


class Client:
    """A browser's worth of HTTP: cookies kept, JSON in and out."""

    def __init__(self, base: str, cookies: http.cookiejar.CookieJar | None = None) -> None:
        self.base = base
        self.cookies = cookies if cookies is not None else http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        self.token = ""

    def call(self, method: str, path: str, data: dict | None = None, form: dict | None = None) -> tuple[int, str]:
        body, headers = None, {"X-CSRF-Token": self.token, "Origin": self.base}
        if data is not None:
            body, headers["Content-Type"] = json.dumps(data).encode(), "application/json"
        elif form is not None:
            body = urllib.parse.urlencode(form).encode()
        request = urllib.request.Request(self.base + path, data=body, method=method, headers=headers)
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def json(self, method: str, path: str, data: dict | None = None) -> dict:
        status, text = self.call(method, path, data)
        if status >= 300:
            raise RuntimeError(f"{method} {path}: {status} {text[:300]}")
        return json.loads(text)

    def login(self, name: str, password: str) -> int:
        page = self.call("GET", "/editor/login")[1]
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        status, _ = self.call("POST", "/editor/login", form={"name": name, "password": password, "csrf_token": token})
        if status < 400:
            self.token = re.search(r'name="csrf-token" content="([^"]+)"', self.call("GET", "/editor/")[1]).group(1)
        return status

    def suggest(self, message: str, k: int = 5) -> list[dict]:
        return self.json("POST", "/api/v1/suggest", {"message": message, "k": k})["suggestions"]


def until(check) -> float:
    """Seconds until `check()` holds, CONFIRMATIONS times in a row (asked every POLL_SECONDS)."""
    start = time.monotonic()
    while not all(check() for _ in range(CONFIRMATIONS)):
        if time.monotonic() - start > GIVE_UP_SECONDS:
            raise RuntimeError(f"not served within {GIVE_UP_SECONDS:.0f} s")
        time.sleep(POLL_SECONDS)
    return time.monotonic() - start


def edit_rounds(editor: Client, agent: Client, rounds: int) -> list[float]:
    """A reply's text changed through `editor`'s server, until `agent`'s serves the new text."""
    message = "能便宜点吗"
    reply_id = agent.suggest(message)[0]["id"]
    times = []
    for n in range(1, rounds + 1):
        reply = editor.json("GET", f"/editor/api/replies/{reply_id}")
        draft = {key: reply["reply"][key] for key in ("situation", "text", "examples", "tags") if key in reply["reply"]}
        draft["text"] = re.sub(r"（第\d+版）$", "", draft["text"]) + f"（第{n}版）"
        editor.json("PUT", f"/editor/api/replies/{reply_id}",
                    {"reply": draft, "version": reply["reply"]["version"], "confirm": True})
        times.append(until(lambda: any(s["id"] == reply_id and s["text"].endswith(f"（第{n}版）")
                                       for s in agent.suggest(message))))
    return times


def learning_rounds(agent_one: Client, agent_two: Client, rounds: int) -> list[float]:
    """An agent of the first server sends a reply of a situation ranked below the top (one that scores high
    enough for `auto` to learn it at once); until the second server ranks that situation first for the message."""
    times = []
    for message in LEARNING_MESSAGES:
        if len(times) == rounds:
            break
        shown = agent_two.suggest(message, k=10)
        top = shown[0]["situation"] if shown else None
        other = next((s for s in shown if s["situation"] != top and s["score"] >= LEARNABLE), None)
        if other is None:
            continue
        agent_one.json("POST", "/api/v1/feedback", {"message": message, "reply_id": other["id"], "action": "sent"})
        times.append(until(lambda: (agent_two.suggest(message) or [{}])[0].get("situation") == other["situation"]))
    return times


def sessions(one: str, two: str, password: str) -> dict[str, bool]:
    editor = Client(one)
    editor.login("lead", password)
    elsewhere = Client(two, editor.cookies)  # the same browser, sent to the other server by a load balancer
    valid_elsewhere = elsewhere.call("GET", "/editor/")[0] == 200
    elsewhere.token = editor.token
    elsewhere.call("POST", "/editor/logout", form={"csrf_token": editor.token})
    ended_on_first = Client(one, editor.cookies).call("GET", "/editor/api/replies")[0] == 401
    guesser_one, guesser_two = Client(one), Client(two)
    for _ in range(5):
        guesser_one.login("lead", "wrong")
    throttled_on_second = guesser_two.login("lead", password) == 429
    return {"login through one is valid on the other": valid_elsewhere,
            "logout through the other ends it on the first": ended_on_first,
            "5 failed logins through one throttle the other": throttled_on_second}


def _report(name: str, times: list[float]) -> str:
    if not times:
        return f"{name}: no round"
    rounds = ", ".join(f"{t:.2f}" for t in times)
    return f"{name}: median {statistics.median(times):.2f} s, worst {max(times):.2f} s ({len(times)} rounds: {rounds})"


def run(storage: str | None, rounds: int, workers: int) -> None:
    source = load_settings()
    with tempfile.TemporaryDirectory(prefix="huashu-two-") as tmp, contextlib.ExitStack() as stack:
        url = storage or stack.enter_context(local_postgres())
        home = Path(tmp) / "home"
        shutil.copytree(source.corpus_dir, home / "corpus")
        if source.index_dir.is_dir():
            shutil.copytree(source.index_dir, home / "index")
        password = secrets.token_urlsafe(12)
        set_editor_password(home / "editors.toml", "lead", password)
        settings = load_settings(home, env={}).replace(workers=workers)
        env = {"SUGGEST_STORAGE": url, "SUGGEST_LEARNING": "auto",
               "SUGGEST_STORAGE_SCHEMA": f"two_servers_{secrets.token_hex(4)}"}
        print(f"two servers, {workers} worker(s) each, one home ({home}) and one PostgreSQL; starting…", flush=True)
        with ThreadPoolExecutor(2) as pool:
            starting = [pool.submit(stack.enter_context, running_server(settings, timeout_s=600, env=env))
                        for _ in range(2)]
            one, two = (future.result() for future in starting)
        print(f"ready: {one.url} and {two.url}", flush=True)
        editor = Client(one.url)
        editor.login("lead", password)
        print(_report("an edit through one, served by the other", edit_rounds(editor, Client(two.url), rounds)))
        print(_report("a learned example through one, served by the other",
                      learning_rounds(Client(one.url), Client(two.url), rounds)))
        for what, held in sessions(one.url, two.url, password).items():
            print(f"{what}: {'yes' if held else 'NO'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storage", help="a PostgreSQL URL (default: a throwaway server from Debian's package)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers of each server")
    args = parser.parse_args()
    run(args.storage, args.rounds, args.workers)


if __name__ == "__main__":
    main()
