"""Editor login and CSRF protection.

* Accounts: <home>/editors.toml (name -> werkzeug password hash), re-read when the file changes. Removing an
  editor or changing their password ends their sessions (the session keeps a fingerprint of the hash).
* Sessions: Flask's signed cookie (HttpOnly, SameSite=Lax), secret from <home>/var/secret_key; a login lasts
  EDITOR_SESSION_HOURS. The session id and CSRF token are renewed at login.
* CSRF: a random token kept in the session; every state-changing request must send it back, in the
  X-CSRF-Token header (fetch) or the csrf_token form field, compared with hmac.compare_digest. A request
  whose Origin header names another site is refused as well.
* Failed logins are counted per name and per address; after EDITOR_LOGIN_ATTEMPTS within 15 minutes, further
  attempts wait.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, request, session
from werkzeug.security import check_password_hash, generate_password_hash

from suggest.authoring.accounts import load_editors

LOCKOUT_SECONDS = 15 * 60
_DUMMY_HASH = generate_password_hash("not a real password, only here to take as long as a real check")


class Accounts:
    """editors.toml, re-read when its modification time or size changes."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._editors: dict[str, str] = {}

    def editors(self) -> dict[str, str]:
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return {}
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if stamp != self._stamp:
                self._editors = load_editors(self.path)
                self._stamp = stamp
            return dict(self._editors)

    def verify(self, name: str, password: str) -> bool:
        stored = self.editors().get(name)
        # the same work whether or not the name exists: the time taken does not tell which names do
        ok = check_password_hash(stored or _DUMMY_HASH, password or "")
        return bool(stored) and ok

    def fingerprint(self, name: str) -> str | None:
        stored = self.editors().get(name)
        return hashlib.sha256(stored.encode("utf-8")).hexdigest()[:16] if stored else None


class Throttle:
    """Failed login attempts per key (name, address) in a sliding window."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: dict[str, list[float]] = {}

    def _recent(self, key: str, now: float) -> list[float]:
        return [t for t in self._failures.get(key, []) if now - t < LOCKOUT_SECONDS]

    def wait_seconds(self, keys: list[str], limit: int) -> int:
        now = time.monotonic()
        with self._lock:
            waits = []
            for key in keys:
                recent = self._recent(key, now)
                self._failures[key] = recent
                if len(recent) >= limit:
                    waits.append(int(LOCKOUT_SECONDS - (now - recent[-limit])) + 1)
            return max(waits, default=0)

    def fail(self, keys: list[str]) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._failures.setdefault(key, []).append(now)

    def clear(self, keys: list[str]) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)


def accounts() -> Accounts:
    app = current_app
    found = app.extensions.get("editor_accounts")
    if found is None or found.path != Path(app.config["EDITORS_FILE"]):
        found = app.extensions["editor_accounts"] = Accounts(app.config["EDITORS_FILE"])
    return found


def throttle() -> Throttle:
    return current_app.extensions.setdefault("editor_throttle", Throttle())


# ---- sessions ------------------------------------------------------------------------------------------------

def csrf_token() -> str:
    """The session's CSRF token (created on first use)."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def csrf_ok() -> bool:
    expected = session.get("csrf")
    given = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token")
    if not expected or not given:
        return False
    return hmac.compare_digest(str(expected).encode("utf-8"), str(given).encode("utf-8"))


def same_origin() -> bool:
    """False when the browser says the request comes from another site (Origin header)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    # hosts only: behind a TLS-terminating proxy the scheme seen here is not the browser's
    return urlsplit(origin).netloc.lower() == request.host.lower()


def current_editor() -> str | None:
    """The logged-in editor, if the session is valid and the account still exists with the same password."""
    name = session.get("editor")
    if not name:
        return None
    hours = float(current_app.config.get("EDITOR_SESSION_HOURS", 12))
    if time.time() - float(session.get("login_at", 0)) > hours * 3600:
        return None
    if accounts().fingerprint(name) != session.get("pw"):
        return None
    return name


def log_in(name: str) -> None:
    session.clear()  # a new session at login: nothing from before it survives (session fixation)
    session["editor"] = name
    session["login_at"] = time.time()
    session["pw"] = accounts().fingerprint(name)
    session["csrf"] = secrets.token_urlsafe(32)


def log_out() -> None:
    session.clear()
