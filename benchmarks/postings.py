"""Postings in bulk: qa.transactions.post_frame() vs the best hand-written load (issue 16).

Both get the same frame of `rows` postings, spread at random over the seeded accounts that are open, with a
year of `occurred_at`: half deposits, the rest withdrawals, fees and refunds, no balance ever near zero.

The hand-written load is what a skilled engineer writes against this schema: COPY the postings into a
temporary table, then one INSERT INTO transactions SELECT ... in the same transaction. The schema's
statement-level trigger (migration 0004) moves every touched balance in one set-based UPDATE ... FROM
(SELECT account_id, sum(amount) ... GROUP BY account_id) and refuses closed accounts, and the
`balance >= 0` check refuses an overdrawn end balance, so the load needs no checks of its own (a second,
hand-written UPDATE of the balances would count every posting twice). It is not audited; post_frame() is,
one audit row per posting, and it also refuses a running balance below zero on the way, row by row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import URL

from benchmarks.database import libpq

Timed = Callable[[], Any]
COLUMNS = ["account_id", "kind", "amount", "description", "occurred_at"]
KINDS = np.array(["deposit", "withdrawal", "fee", "refund"])
YEAR = 365 * 24 * 3600


def postings(accounts: int, count: int, seed: int = 16) -> pd.DataFrame:
    """`count` postings over the open ones of the seeded accounts 1..`accounts` (every 50th is closed).

    A withdrawal or fee takes at most a twentieth of its account's seeded balance (benchmarks/database.py),
    so no account goes below zero however many postings it draws.
    """
    rng = np.random.default_rng(seed)
    ids = np.arange(1, accounts + 1, dtype=np.int64)
    ids = ids[(ids % 50 != 0) & (ids % 1_000_000 >= 40)]  # open, and with at least 0.40 to draw on
    account_id = ids[rng.integers(0, len(ids), count)]
    kind = KINDS[rng.choice(4, count, p=[0.5, 0.3, 0.1, 0.1])]
    seeded_cents = account_id % 1_000_000
    cents = np.where(
        np.isin(kind, ["deposit", "refund"]),
        rng.integers(1, 50_000, count),
        -np.maximum(1, (seeded_cents // 20 * rng.random(count)).astype(np.int64)),
    )
    amount = pd.Series(cents / 100).map("{:.2f}".format)  # exact: cents are far below 2**53
    occurred = pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, YEAR, count), unit="s")
    description = pd.Series(np.where(np.arange(count) % 4 == 0, "invoice", None), dtype="string")
    description[description.notna()] += " " + pd.Series(np.arange(count)).astype("string")
    return pd.DataFrame(
        {
            "account_id": account_id,
            "kind": pd.Categorical(kind, categories=["deposit", "withdrawal", "fee", "refund", "adjustment"]),
            "amount": amount.astype("string"),
            "description": description,
            "occurred_at": occurred,
        }
    )


def post_frame(url: URL, rows: int) -> Timed:
    import toolkit

    frame = postings(rows, rows)
    qa = toolkit.connect(url, actor="bench", progress=False)
    qa.accounts.frame(limit=1)
    return lambda: str(qa.transactions.post_frame(frame))


def csv_payload(frame: pd.DataFrame) -> memoryview:
    """The frame as CSV by pyarrow's writer, the fastest text a COPY takes from Python."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    table = pa.Table.from_pandas(frame[COLUMNS], preserve_index=False)
    table = table.set_column(1, "kind", table["kind"].cast(pa.string()))
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, write_options=pacsv.WriteOptions(include_header=False))
    return memoryview(sink.getvalue())


TEMP = """
CREATE TEMP TABLE bench_post (
    account_id bigint, kind varchar(16), amount numeric(14, 2), description text, occurred_at timestamptz
) ON COMMIT DROP
"""
COPY = "COPY bench_post (account_id, kind, amount, description, occurred_at) FROM STDIN WITH (FORMAT csv)"
INSERT = """
INSERT INTO transactions (account_id, kind, amount, description, occurred_at)
SELECT account_id, kind, amount, description, occurred_at FROM bench_post
"""


def copy_post(url: URL, rows: int) -> Timed:
    """The hand-written load: COPY into a temporary table, one INSERT ... SELECT (the trigger moves the
    balances set-based), one transaction."""
    import psycopg

    frame = postings(rows, rows)
    conn = psycopg.connect(libpq(url))

    def run() -> int:
        payload = csv_payload(frame)
        with conn.transaction(), conn.cursor() as cur:
            cur.execute("SET LOCAL work_mem = '256MB'")
            cur.execute(TEMP)
            with cur.copy(COPY) as copy:
                for start in range(0, len(payload), 1 << 20):
                    copy.write(payload[start : start + (1 << 20)])
            cur.execute(INSERT)
            return cur.rowcount

    return run
