"""Editor login and CSRF protection.

* Accounts: <home>/editors.toml (name -> werkzeug password hash), re-read when the file changes. Removing an
  editor or changing their password ends their sessions (the session keeps a fingerprint of the hash).
  A shop's editors are in its own editors.toml (<home>/shops/<name>/editors.toml) and edit that shop only; the
  server's editors are team leads, who edit the default shop and every shop. One session per browser: a login
  at a shop's editor is valid there only (another shop does not know the account), a team lead's everywhere.
* Sessions live on the server (suggest.authoring.logins, SQLite shared by the workers): Flask's signed cookie
  (HttpOnly, SameSite=Lax, Secure when EDITOR_SECURE_COOKIE is on; secret from <home>/var/secret_key) carries only
  a random session id and the CSRF token. Logging out ends the session on the server; a login lasts
  EDITOR_SESSION_HOURS. The session id and CSRF token are renewed at login.
* CSRF: a random token kept in the session; every state-changing request must send it back, in the
  X-CSRF-Token header (fetch) or the csrf_token form field, compared with hmac.compare_digest. A request
  whose Origin header names another site is refused as well.
* Failed logins are counted in the same store, per account-and-address (EDITOR_LOGIN_ATTEMPTS within 15 minutes)
  and per address (four times as many), atomically across workers; further attempts wait.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, g, request, session
from werkzeug.security import check_password_hash, generate_password_hash

from suggest.authoring.accounts import EDITORS_FILE, load_editors
from suggest.authoring.logins import LoginStore
from suggest.storage.database import database_for

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


class ShopAccounts(Accounts):
    """A shop's editors with the team leads': a lead's account wins over a shop's of the same name."""

    def __init__(self, shop: Accounts, leads: Accounts) -> None:
        self.path, self.shop, self.leads = shop.path, shop, leads

    def editors(self) -> dict[str, str]:
        return {**self.shop.editors(), **self.leads.editors()}


def _file_accounts(path: Path) -> Accounts:
    cache = current_app.extensions.setdefault("editor_accounts", {})
    found = cache.get(path)
    if found is None:
        found = cache[path] = Accounts(path)
    return found


def leads() -> Accounts:
    """The server's editors (team leads)."""
    return _file_accounts(Path(current_app.config["EDITORS_FILE"]))


def accounts() -> Accounts:
    """Who may edit the shop of this request: the server's editors, and for a shop its own editors too."""
    from .blueprint import settings

    if g.get("shop") is None:
        return leads()
    return ShopAccounts(_file_accounts(settings().home / EDITORS_FILE), leads())


def is_lead(name: str | None) -> bool:
    return bool(name) and name in leads().editors()


def logins() -> LoginStore:
    """Sessions and failed logins, shared by every worker and server (the storage layer)."""
    app = current_app
    found = app.extensions.get("editor_logins")
    if found is None:
        found = app.extensions["editor_logins"] = LoginStore(database_for(app.extensions["settings"], "logins"))
    return found


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
    """The logged-in editor, if the session is live on the server (not logged out, not expired) and the account
    still exists with the same password."""
    sid = session.get("sid")
    if not sid:
        return None
    hours = float(current_app.config.get("EDITOR_SESSION_HOURS", 12))
    found = logins().get(str(sid), hours * 3600)
    if found is None or accounts().fingerprint(found.editor) != found.password:
        return None
    return found.editor


def log_in(name: str) -> None:
    session.clear()  # a new session at login: nothing from before it survives (session fixation)
    # The cookie holds a random id and the CSRF token, nothing about the editor.
    session["sid"] = logins().start(name, accounts().fingerprint(name))
    session["csrf"] = secrets.token_urlsafe(32)


def log_out() -> None:
    sid = session.get("sid")
    if sid:
        logins().end(str(sid))  # a copy of the cookie is worthless from now on
    session.clear()
