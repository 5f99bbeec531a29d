"""One handle on a run-time database, whichever it is: SQLite (the embedded default, a file per store in the
home's var/) or PostgreSQL (the setting `storage`: one database shared by several servers, each home's tables in
its own schema, so one shop's rows never meet another's).

The stores (feedback, learning, history, logins) say what they keep with SQLAlchemy Core tables and queries, and
never which database holds them. The few places the two differ are here: conflicts on insert (`insert`), a
transaction that must exclude other writers (`write(exclusive=…)`), and creating the tables and the schema.

Connections: SQLite connections are opened per use (no pool: a file connection costs microseconds, and a pool
would keep files open in every worker); PostgreSQL connections come from one pool per server URL and process,
kept here because every shop's stores share it (200 shops must not open 200 pools), and made anew in a process
forked after the pool was (gunicorn's workers).
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, MetaData, Table, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import NullPool

from ..errors import ConfigError
from ..settings import Settings
from .files import prepare_file

SETTLE_SECONDS = 2.0  # coarser than any file system's clock a SQLite file is kept on
SCHEMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,62}")
_pools: dict[tuple[str, int], Engine] = {}  # (URL, pid) -> the process's pool for that PostgreSQL server
_pools_lock = threading.Lock()


def check_url(url: str, field: str = "storage") -> str:
    """A storage URL SQLAlchemy can open with a driver we ship (ConfigError naming `field` otherwise)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"setting '{field}' is not a database URL: {url!r} (e.g. "
                          "postgresql+psycopg://user:password@host/dbname)", field=field) from None
    if parsed.get_backend_name() != "postgresql":  # SQLite is the default, in files the home names: no URL
        raise ConfigError(f"setting '{field}' must be a PostgreSQL URL (postgresql+psycopg://…) or empty for SQLite "
                          f"files in var/ (got {parsed.get_backend_name()!r})", field=field)
    if parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def _sqlite_engine(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool, connect_args={"timeout": 30.0})

    @event.listens_for(engine, "connect")
    def _autocommit_driver(dbapi_connection, _record) -> None:
        # SQLAlchemy's documented recipe: pysqlite's own transaction handling off, SQLAlchemy's BEGIN on
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        # A writer takes the write lock at BEGIN: one that read first and upgraded later could meet another
        # doing the same, and SQLite answers that deadlock with "database is locked" at once, never waiting.
        writing = connection.get_execution_options().get("writing")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")

    return engine


def _postgres_engine(url: str) -> Engine:
    key = (url, os.getpid())
    with _pools_lock:
        engine = _pools.get(key)
        if engine is None:
            engine = _pools[key] = create_engine(url, pool_size=4, max_overflow=8, pool_pre_ping=True)
        return engine


class Database:
    """Where one store's tables live. `Database.sqlite(path)` for a file; `Database(url, schema)` for a server."""

    def __init__(self, url: str, schema: str | None = None, path: Path | None = None) -> None:
        self.url = url
        self.schema = schema or None
        self.path = path  # the SQLite file, else None
        self._engine: Engine | None = _sqlite_engine(path) if path is not None else None
        self._created: set[str] = set()

    def commit_stamp(self) -> tuple | None:
        """What the last commit left, where it can be told without a query: for SQLite, the time and size of the
        file and of its write-ahead log (every commit writes one of them), two stat() calls where a query opens
        the file (1-2 ms: a server of 20 shops, each asked less often than its learned examples are checked,
        paid that on nearly every request). The same stamp twice means nothing was committed between. None
        when it cannot tell: PostgreSQL, or a file written within `SETTLE_SECONDS` (two commits within one tick
        of the file system's clock could leave the same stamp)."""
        if self.path is None:
            return None
        now = time.time_ns()
        files = []
        for path in (self.path, self.path.with_name(self.path.name + "-wal")):
            try:
                stat = os.stat(path)
            except OSError:
                files.append(None)
                continue
            if now - stat.st_mtime_ns < SETTLE_SECONDS * 1e9:
                return None
            files.append((stat.st_mtime_ns, stat.st_size))
        return tuple(files)

    @classmethod
    def sqlite(cls, path: Path) -> Database:
        path = prepare_file(Path(path))
        return cls(f"sqlite:///{path}", path=path)

    @classmethod
    def at(cls, where: Database | Path | str) -> Database:
        """A Database as given, or the SQLite file at a path (what the stores were handed before there was a
        choice, and what tests and tools still hand them)."""
        return where if isinstance(where, Database) else cls.sqlite(Path(where))

    @property
    def dialect(self) -> str:
        return "sqlite" if self.path is not None else "postgresql"

    @property
    def engine(self) -> Engine:
        return self._engine if self._engine is not None else _postgres_engine(self.url)

    def _options(self, connection: Connection, **options) -> Connection:
        if self.schema:
            options["schema_translate_map"] = {None: self.schema}
        return connection.execution_options(**options) if options else connection

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as connection:
            yield self._options(connection)

    @contextmanager
    def write(self, exclusive: str | None = None) -> Iterator[Connection]:
        """One transaction, committed at the end of the block. `exclusive`: a name; transactions giving the same
        name run one at a time across every process and server (SQLite: every write transaction does, holding
        the file's write lock from its start; PostgreSQL: a transaction-level advisory lock on schema and name)."""
        with self.engine.connect() as connection:
            connection = self._options(connection, writing=True)
            with connection.begin():
                if exclusive and self.dialect == "postgresql":
                    connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                                       {"key": f"{self.schema or ''}/{exclusive}"})
                yield connection

    def insert(self, table: Table):
        """An INSERT that can say what to do on a conflict (`on_conflict_do_nothing`, `on_conflict_do_update`),
        in this database's dialect."""
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)

    def create(self, metadata: MetaData) -> None:
        """The tables of `metadata` (and this home's schema), if they do not exist yet; once per process."""
        key = ",".join(sorted(metadata.tables))
        if key in self._created:
            return
        with self.engine.connect() as connection:
            if self.schema:
                with connection.begin():
                    # one creator at a time: two servers starting together would race on CREATE SCHEMA
                    connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('huashu-create-schema'))"))
                    connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"'))
            connection = self._options(connection, writing=True)
            with connection.begin():
                if self.dialect == "postgresql":
                    connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                                       {"key": f"{self.schema or ''}/create/{key}"})
                metadata.create_all(connection)
                for table in metadata.sorted_tables:  # a table of an earlier version gets the indexes added since
                    for index in table.indexes:
                        index.create(connection, checkfirst=True)
        self._created.add(key)

    def __repr__(self) -> str:
        where = self.path or make_url(self.url).render_as_string(hide_password=True)
        return f"Database({where}{', schema ' + self.schema if self.schema else ''})"


def check_schema(schema: str) -> str:
    """A schema name PostgreSQL keeps whole (it cuts names past 63 bytes: two shops could meet in one)."""
    if schema and not SCHEMA_NAME.fullmatch(schema):
        raise ConfigError(f"setting 'storage_schema' must be 1-63 letters, digits, '_' or '-', starting with a "
                          f"letter or '_', shop schemas (<storage_schema>_shop_<name>) included; got {schema!r}",
                          field="storage_schema")
    return schema


def database_for(settings: Settings, store: str) -> Database:
    """Where `store` (feedback, learning, history, logins) keeps its tables for the home of `settings`: a file
    in its var/, or the shared PostgreSQL in the home's schema."""
    if settings.storage:
        return Database(check_url(settings.storage), schema=check_schema(settings.storage_schema))
    return Database.sqlite(settings.data_dir / f"{store}.sqlite3")


def drop_schema(settings: Settings) -> None:
    """Forget a home's tables in the shared PostgreSQL (a shop removed: one added again under its name starts
    empty, as its folder does). SQLite files go with the home's var/."""
    if settings.storage and settings.storage_schema:
        with database_for(settings, "").engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{settings.storage_schema}" CASCADE'))
