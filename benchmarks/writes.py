"""Write cases: diff()+apply() vs a hand-written upsert and to_sql, a merge by email vs diff()+apply() by id;
insert_frame() vs ADBC ingest."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import URL

from benchmarks.database import libpq
from benchmarks.frames import WRITTEN, edited_frame, new_accounts, plain_arrow

Timed = Callable[[], Any]
EDITABLE = WRITTEN[1:]
UPSERT = f"""
INSERT INTO accounts ({", ".join(WRITTEN)})
SELECT coalesce(id, nextval(%(sequence)s::regclass)), {", ".join(EDITABLE)}
FROM bench_upsert
ON CONFLICT (id) DO UPDATE SET {", ".join(f"{c} = EXCLUDED.{c}" for c in EDITABLE)},
    version = accounts.version + 1, updated_at = now()
"""


def diff_apply(url: URL, rows: int) -> Timed:
    import toolkit

    frame = edited_frame(url, rows)
    qa = toolkit.connect(url, actor="bench", progress=False)
    qa.accounts.frame(limit=1)

    def run() -> str:
        return str(qa.accounts.diff(frame).apply())

    return run


def merge_by_key(url: URL, rows: int) -> Timed:
    """The changes of diff_apply from the same frame less its ids and versions (a CSV of emails), matched by
    email: half of them updates, half inserts."""
    import toolkit

    frame = edited_frame(url, rows).drop(columns=["id", "version"])
    qa = toolkit.connect(url, actor="bench", progress=False)
    qa.accounts.frame(limit=1)
    return lambda: str(qa.accounts.diff(frame, key="email").apply())


def upsert(url: URL, rows: int) -> Timed:
    """The best hand-written upsert: ADBC into a temporary table, then INSERT ... ON CONFLICT DO UPDATE."""
    import adbc_driver_postgresql.dbapi as dbapi

    frame = edited_frame(url, rows)[WRITTEN]
    conn = dbapi.connect(libpq(url))
    with conn.cursor() as cur:  # the sequence by name, once (not looked up again for every new row)
        cur.execute("SELECT pg_get_serial_sequence('accounts', 'id')")
        sequence = cur.fetchone()[0]  # type: ignore[index]
    statement = UPSERT.replace("%(sequence)s", "'" + sequence.replace("'", "''") + "'")

    def run() -> int:
        with conn.cursor() as cur:
            cur.adbc_ingest("bench_upsert", plain_arrow(frame), mode="create", temporary=True)
            cur.execute(statement)
            count = cur.rowcount
        conn.commit()
        return count

    return run


def to_sql(url: URL, rows: int) -> Timed:
    from sqlalchemy import create_engine

    frame = edited_frame(url, rows)[WRITTEN]
    conn = create_engine(url).connect()

    def run() -> int | None:
        count = frame.to_sql("bench_to_sql", conn, if_exists="append", index=False)
        conn.commit()
        return count

    return run


def insert_frame(url: URL, rows: int) -> Timed:
    import toolkit

    frame = new_accounts(rows)
    qa = toolkit.connect(url, actor="bench", progress=False)
    qa.accounts.frame(limit=1)
    return lambda: str(qa.accounts.insert_frame(frame))


def adbc_ingest(url: URL, rows: int) -> Timed:
    import adbc_driver_postgresql.dbapi as dbapi

    frame = new_accounts(rows)
    conn = dbapi.connect(libpq(url))

    def run() -> int:
        with conn.cursor() as cur:
            count = cur.adbc_ingest("accounts", plain_arrow(frame), mode="append")
        conn.commit()
        return count

    return run
