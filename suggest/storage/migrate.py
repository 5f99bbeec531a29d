"""Moving a home's run-time state from its SQLite files into the shared PostgreSQL (`suggest storage migrate
URL`): every row of every store, ids kept (history reverts and learned examples refer to them), so a server
switched to `storage = URL` goes on where it was. Nothing is overwritten: a store whose tables in the target
already hold rows is refused, naming it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Integer, MetaData, func, inspect, insert, select, text

from ..errors import InputError
from ..settings import Settings
from .database import Database, check_url, database_for

_CHUNK = 2000


@dataclass(frozen=True)
class Moved:
    store: str
    schema: str
    rows: dict[str, int]  # table -> rows copied


def migrate(settings: Settings, url: str, stores: dict[str, MetaData]) -> list[Moved]:
    """Copy the SQLite files of `settings`' home (var/<store>.sqlite3, those that exist) into PostgreSQL `url`,
    in the home's schema. `stores`: each store's name and tables."""
    shared = settings.replace(storage=check_url(url, field="url"))
    moved = []
    for name, metadata in stores.items():
        path = settings.data_dir / f"{name}.sqlite3"
        if not path.is_file():
            continue
        source, target = Database.sqlite(path), database_for(shared, name)
        target.create(metadata)
        with target.read() as db:
            full = [t.name for t in metadata.sorted_tables
                    if db.execute(select(func.count()).select_from(t)).scalar_one()]
        if full:
            raise InputError(f"{name}: the tables {', '.join(full)} in {target!r} already hold rows; nothing was "
                             f"copied from {path}", field="url", code="conflict")
        counts = {}
        with source.read() as src, target.write() as dst:
            present = set(inspect(src).get_table_names())
            for table in metadata.sorted_tables:  # parents first (a change's `reverts` refers to another)
                if table.name not in present:
                    continue
                kept = {c["name"] for c in inspect(src).get_columns(table.name)}
                columns = [c for c in table.columns if c.name in kept]
                rows = src.execute(select(*columns)).mappings()
                count = 0
                while chunk := rows.fetchmany(_CHUNK):
                    dst.execute(insert(table), [dict(row) for row in chunk])
                    count += len(chunk)
                counts[table.name] = count
                if "id" in table.c and isinstance(table.c.id.type, Integer) and count:  # new rows go on after
                    qualified = f'"{target.schema or "public"}"."{table.name}"'
                    dst.execute(text(f"SELECT setval(pg_get_serial_sequence('{qualified}', 'id'), "
                                     f"(SELECT MAX(id) FROM {qualified}))"))
        moved.append(Moved(name, settings.storage_schema or "public", counts))
    return moved
