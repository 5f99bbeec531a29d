"""The editors' side: pages under /editor for the people who own the reply corpus (login required), and under
/shops/<shop>/editor for each shop's.

`init_editor(app)` sets the session secret (from <home>/var/secret_key, created once, mode 600), the session
cookie flags, this package's config defaults, and registers the blueprint. Config keys (all optional; a
test_config given to create_app wins):

  EDITORS_FILE                <home>/editors.toml: editor accounts (`suggest editor add NAME`)
  EDITOR_SECRET_KEY_FILE      <home>/var/secret_key: signs the session cookie
  EDITOR_DUPLICATE_THRESHOLD  the setting duplicate_similarity: cosine at which a reply text counts as a near-duplicate
  EDITOR_COMPLIANCE_RULES     None (the bundled suggest/data/compliance.yaml) or the path of another rules file
  EDITOR_GROUP_SIMILARITY     0.85: cosine at which the analytics page groups unserved buyer messages
  EDITOR_MAX_UPLOAD_BYTES     5 MiB: largest import file
  EDITOR_SYNC_CORPUS          True: before every request, reload the corpus if another process changed it
  EDITOR_LOGIN_ATTEMPTS       5 failed logins per name and address within 15 minutes, then a pause
  EDITOR_SESSION_HOURS        12: a login lasts this long (the cookie itself ends with the browser session)
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from flask import Flask

log = logging.getLogger(__name__)


def _secret_key(path: Path) -> bytes:
    """The session secret: read from `path`, or created there once (32 random bytes, mode 600)."""
    try:
        data = path.read_bytes()
        if len(data) >= 32:
            return data
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker created it first: use theirs
        return path.read_bytes()
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    os.chmod(path, 0o600)
    return key


def init_editor(app: Flask) -> None:
    from suggest.usage.analytics import GROUP_SIMILARITY
    from suggest.authoring.accounts import EDITORS_FILE

    settings = app.extensions["settings"]
    defaults = {
        "EDITORS_FILE": settings.home / EDITORS_FILE,
        "EDITOR_SECRET_KEY_FILE": settings.data_dir / "secret_key",
        "EDITOR_DUPLICATE_THRESHOLD": settings.duplicate_similarity,
        "EDITOR_COMPLIANCE_RULES": None,
        "EDITOR_GROUP_SIMILARITY": GROUP_SIMILARITY,
        "EDITOR_MAX_UPLOAD_BYTES": 5 * 1024 * 1024,
        "EDITOR_SYNC_CORPUS": True,
        "EDITOR_LOGIN_ATTEMPTS": 5,
        "SESSION_COOKIE_NAME": "huashu_editor",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "EDITOR_SESSION_HOURS": 12,
    }
    for key, value in defaults.items():
        app.config.setdefault(key, value)
    # SESSION_COOKIE_* exist in Flask's defaults; ours apply unless a test_config set them
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SECURE"] = bool(app.config.get("SESSION_COOKIE_SECURE") or settings.secure_cookies)
    if app.config.get("SESSION_COOKIE_SAMESITE") is None:
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    if app.config.get("SESSION_COOKIE_NAME") == "session":
        app.config["SESSION_COOKIE_NAME"] = "huashu_editor"
    if not app.secret_key:
        try:
            app.secret_key = _secret_key(Path(app.config["EDITOR_SECRET_KEY_FILE"]))
        except OSError as exc:  # a read-only home: sessions then last as long as this process
            log.warning("cannot keep a session secret in %s (%s); using a temporary one",
                        app.config["EDITOR_SECRET_KEY_FILE"], exc)
            app.secret_key = secrets.token_bytes(32)

    from . import corpus_api, learning, login, pages, products, shop, transfer  # noqa: F401 - their routes join bp
    from .blueprint import bp, mirror

    app.register_blueprint(bp)
    mirror(app)  # each shop's editor under /shops/<shop>/editor
