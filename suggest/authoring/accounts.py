"""Editor accounts: names and werkzeug password hashes in <home>/editors.toml (mode 600), managed by
`suggest editor add|list|remove` and read by the editor pages' login."""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path

from werkzeug.security import generate_password_hash

from ..corpus.files import atomic_write
from ..errors import ConfigError, InputError

EDITORS_FILE = "editors.toml"
EDITOR_NAME = re.compile(r"^[\w.\-@\u4e00-\u9fff]{1,32}$")
MIN_PASSWORD = 8


def load_editors(path: Path) -> dict[str, str]:
    """Editor name -> password hash (werkzeug format) from editors.toml; {} when there is no file."""
    path = Path(path)
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    editors = data.get("editors", {})
    if not isinstance(editors, dict):
        raise ConfigError(f"{path}: [editors] must be a table of NAME = {{ password_hash = ... }}")
    out = {}
    for name, entry in editors.items():
        if isinstance(entry, dict) and isinstance(entry.get("password_hash"), str) and entry["password_hash"]:
            out[str(name)] = entry["password_hash"]
    return out


def write_editors(path: Path, editors: dict[str, str]) -> None:
    """Rewrite editors.toml (mode 600: it holds password hashes)."""
    lines = ["# Editors of the reply corpus: managed by `suggest editor add NAME` / `suggest editor remove NAME`.",
             "# Only password hashes are stored (werkzeug.security).", ""]
    for name in sorted(editors):
        lines.append(f"[editors.{json.dumps(name, ensure_ascii=False)}]")
        lines.append(f"password_hash = {json.dumps(editors[name])}")
        lines.append("")
    path = Path(path)
    atomic_write(path, "\n".join(lines))
    os.chmod(path, 0o600)


def set_editor_password(path: Path, name: str, password: str) -> None:
    if not EDITOR_NAME.match(name or ""):
        raise InputError("editor names are 1-32 letters, digits, Chinese characters, '.', '-', '_' or '@'", field="name")
    if len(password or "") < MIN_PASSWORD:
        raise InputError(f"the password needs at least {MIN_PASSWORD} characters", field="password")
    editors = load_editors(path)
    editors[name] = generate_password_hash(password)
    write_editors(path, editors)


def remove_editor(path: Path, name: str) -> bool:
    editors = load_editors(path)
    if name not in editors:
        return False
    del editors[name]
    write_editors(path, editors)
    return True
