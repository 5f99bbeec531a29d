"""Shop homes on disk: their names, adding one from a corpus, removing one."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from ..corpus.files import load_corpus, write_corpus
from ..errors import InputError, NotFound
from ..records import Corpus
from ..settings import Settings
from ..storage.database import drop_schema

SHOPS_DIR = "shops"
IDENTITY = ".shop-id"  # written once when a shop is added: a shop removed and added again is another shop
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")  # also a URL segment and a folder name: nothing to escape
NAME_RULE = "1–40 lowercase letters, digits, '-' or '_', starting with a letter or digit"


@dataclass(frozen=True)
class ShopInfo:
    name: str
    situations: int
    replies: int  # active ones


def check_name(name: str) -> str:
    if not NAME.fullmatch(name or ""):
        raise InputError(f"shop name {name!r}: use {NAME_RULE}", field="shop", code="invalid_choice")
    return name


def _folder(settings: Settings, name: str) -> Path:
    return settings.home / SHOPS_DIR / check_name(name)


def shop_names(settings: Settings) -> list[str]:
    """The shops there are now (a folder with a corpus); read from disk each time, so a shop added or removed
    by the command line is seen by a running server without a restart."""
    folder = settings.home / SHOPS_DIR
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if NAME.fullmatch(p.name) and (p / "corpus").is_dir())


def shop_settings(settings: Settings, name: str) -> Settings:
    """The settings of shop `name`: the server's, with the shop's folder as home. NotFound if there is none."""
    folder = _folder(settings, name)
    if not (folder / "corpus").is_dir():
        raise NotFound(f"no shop named {name!r} (see `suggest shop list`)", field="shop")
    schema = f"{settings.storage_schema}_shop_{name}" if settings.storage_schema else f"shop_{name}"
    return settings.replace(home=folder, storage_schema=schema)  # its rows apart in a shared PostgreSQL


def folder_stamps(settings: Settings) -> tuple[str, ...]:
    """The inode and modification time of the shop's folder and of its corpus folders ("-" for one gone): three
    stat() calls a request, where its identity reads a file too. Each write renames a file into place, and a
    shop added renames its folder into place, so a corpus written, a shop removed or one added again changes
    them; an unchanged stamp spares reading the identity."""
    stamps = []
    for folder in (settings.home, settings.corpus_dir, settings.corpus_dir / "situations"):
        try:
            stat = os.stat(folder)
            stamps.append(f"{stat.st_ino}.{stat.st_mtime_ns}")
        except OSError:
            stamps.append("-")
    return tuple(stamps)


def shop_identity(settings: Settings, stamps: tuple[str, ...]) -> str:
    """What a loaded shop is known by: the shop (its id, "" for a folder made by hand) and the state of its corpus
    folders, whose times change whenever a file in them is written (every write renames a file into place), so
    a corpus imported or edited while the server runs is loaded anew on the shop's next request. `stamps`: its
    `folder_stamps`, read just before."""
    try:
        shop = (settings.home / IDENTITY).read_text(encoding="utf-8").strip()
    except OSError:
        shop = ""
    return ":".join([shop, *stamps[1:]])


def shops(settings: Settings) -> list[ShopInfo]:
    found = []
    for name in shop_names(settings):
        corpus = load_corpus(settings.home / SHOPS_DIR / name / "corpus")
        active = sum(1 for r in corpus.replies.values() if not r.retired)
        found.append(ShopInfo(name, len(corpus.situations), active))
    return found


def add_shop(settings: Settings, name: str, corpus: Corpus) -> Settings:
    """A new shop with `corpus`, its settings returned. Written beside the shops and renamed into place, so a
    server never sees half a shop."""
    folder = _folder(settings, name)
    if folder.exists():
        raise InputError(f"shop {name!r} exists already", field="shop", code="conflict")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-new-", dir=folder.parent))
    try:
        write_corpus(corpus, staging / "corpus")
        (staging / IDENTITY).write_text(uuid.uuid4().hex, encoding="utf-8")
        staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return shop_settings(settings, name)


def remove_shop(settings: Settings, name: str) -> None:
    """The shop and everything in its folder and its schema of a shared PostgreSQL. Renamed aside first, so a
    server stops serving it at once."""
    shop = shop_settings(settings, name)
    folder = shop.home
    aside = folder.parent / f".{name}-removed-{os.getpid()}"
    folder.rename(aside)
    shutil.rmtree(aside, ignore_errors=True)
    drop_schema(shop)
