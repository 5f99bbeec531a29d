"""A throwaway PostgreSQL server from Debian's package, for the tests that cover the shared storage and for the
two-server demonstration (`python -m suggest.tools.two_servers`): a fresh cluster in a directory of its own,
listening on a free local port, stopped and removed afterwards.

PostgreSQL refuses to run as root; as root the cluster is made and run as the `postgres` account the Debian
package creates."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DATABASE = "huashu"


class CannotStart(RuntimeError):
    """Why no local PostgreSQL could be started here (said as is by a skipped test)."""


def binaries() -> Path:
    """The directory of initdb and pg_ctl: Debian's /usr/lib/postgresql/<version>/bin, else the PATH's."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[4]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).parent
    raise CannotStart("PostgreSQL is not installed (Debian: apt-get install postgresql)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _runner() -> tuple[list[str], int | None]:
    """The command prefix running as the cluster's owner, and that owner's uid when it is not us."""
    if os.geteuid() != 0:
        return [], None
    try:
        account = pwd.getpwnam("postgres")
    except KeyError:
        raise CannotStart("running as root and there is no 'postgres' account to run PostgreSQL as") from None
    runuser = shutil.which("runuser")
    if not runuser:
        raise CannotStart("running as root and runuser is missing (util-linux)")
    return [runuser, "-u", "postgres", "--"], account.pw_uid


@contextmanager
def local_postgres(parent: Path | None = None) -> Iterator[str]:
    """A running PostgreSQL with an empty database; yields its SQLAlchemy URL. CannotStart says why not."""
    bindir = binaries()
    prefix, owner = _runner()
    root = Path(tempfile.mkdtemp(prefix="huashu-pg-", dir=parent))
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    if owner is not None:
        os.chown(root, owner, -1)
        os.chown(sockets, owner, -1)
    port = _free_port()

    def run(*args: str) -> None:
        done = subprocess.run([*prefix, *args], capture_output=True, text=True, cwd=root)
        if done.returncode:
            raise CannotStart(f"{Path(args[0]).name} failed: {(done.stderr or done.stdout).strip()[-500:]}")

    try:
        run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
        run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"), "-w", "-t", "60", "start",
            "-o", f"-p {port} -c listen_addresses=127.0.0.1 -k {sockets} -c fsync=off -c max_connections=200")
        try:
            run(str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", DATABASE)
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/{DATABASE}"
        finally:
            subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                           capture_output=True, cwd=root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
