"""`./dev bench metrics [--rows N] [--repeat N] [--post-frame] [--no-save]`: the ledger's aggregates.

`qa.metrics.transactions(bucket="day", ...)` over a year of N postings (from the rollup of migration 0006)
against the plain `GROUP BY date_trunc(...)` that PostgREST's aggregates would run over the same rows, on the
same database in the same run, interleaved, best of `--repeat`. The ledger is seeded by one set-based INSERT
with the triggers off (replica mode), then the rollup is built by `queaccount_build_transaction_slots()`, the
function the migration builds an existing ledger's rollup with; a few kinds, many accounts.

`--post-frame`: `qa.transactions.post_frame()` of N postings over a year, with the rollup's trigger and
without (disabled for that case only), each in a fresh process from the same empty ledger.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from sqlalchemy.engine import URL

from benchmarks import database

RESULTS = Path(__file__).parent / "results" / "metrics.md"
TARGET = 0.2
# (case, bucket, group by kind, zone): a year of days, with and without kinds, in UTC and a +5:45 zone.
CASES = [
    ("day", "day", False, "UTC"),
    ("day by kind", "day", True, "UTC"),
    ("day by kind, Asia/Kathmandu", "day", True, "Asia/Kathmandu"),
]
YEAR = 2025
# Accounts never a multiple of 50 (the seed closes those); kinds cycle, amounts signed as their kind needs.
LEDGER = """
INSERT INTO transactions (account_id, kind, amount, occurred_at, created_at)
SELECT account_id, kind,
       CASE WHEN kind IN ('withdrawal', 'fee') OR (kind = 'adjustment' AND (i / 6) %% 2 = 0)
            THEN -cents ELSE cents END / 100.0,
       moment, moment
FROM (SELECT i,
             1 + i %% 49 + 50 * ((i / 49) %% %(blocks)s) AS account_id,
             (ARRAY['deposit', 'deposit', 'withdrawal', 'fee', 'refund', 'adjustment'])[1 + i %% 6] AS kind,
             1 + (i * 7919) %% 50000 AS cents,
             timestamptz '2025-01-01 00:00:00+00'
                 + (i * 31536000 / %(n)s) * interval '1 second' AS moment
      FROM generate_series(0::bigint, %(n)s - 1) AS i) AS s
"""
PLAIN = """
SELECT date_trunc(%(bucket)s, occurred_at, %(tz)s) AS bucket, {kind} count(*) AS count, sum(amount) AS total
FROM transactions WHERE occurred_at >= %(first)s AND occurred_at < %(last)s
GROUP BY 1 {group} ORDER BY 1 {group}
"""


def accounts_for(rows: int) -> int:
    return max(1_000, rows // 20)


def seed(url: URL, rows: int) -> None:
    """`rows` postings over the year 2025 on `accounts_for(rows)` accounts, and their rollup."""
    accounts = accounts_for(rows)
    database.reset(url, accounts)
    with psycopg.connect(database.libpq(url), autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute(LEDGER, {"n": rows, "blocks": accounts // 50})
        conn.execute("SET session_replication_role = DEFAULT")
        conn.execute("SELECT queaccount_build_transaction_slots()")
        conn.execute("VACUUM (ANALYZE) transactions, transaction_slots, transaction_slot_deltas")
        conn.execute("CHECKPOINT")


def plain(conn: psycopg.Connection[Any], bucket: str, by_kind: bool, tz: str) -> list[tuple[Any, ...]]:
    """The baseline: one GROUP BY over the ledger's rows of the year (in `tz`), every row fetched."""
    zone = ZoneInfo(tz)
    query = PLAIN.format(kind="kind," if by_kind else "", group=", kind" if by_kind else "")
    params = {"bucket": bucket, "tz": tz, "first": datetime(YEAR, 1, 1, tzinfo=zone)}
    params["last"] = datetime(YEAR + 1, 1, 1, tzinfo=zone)
    return conn.execute(query, params).fetchall()  # type: ignore[call-overload, no-any-return]


def service(qa: Any, bucket: str, by_kind: bool, tz: str) -> Any:
    """The product: the same year through `qa.metrics` (every bucket present, as a DataFrame)."""
    group = "kind" if by_kind else None
    end = f"{YEAR}-12-31"
    return qa.metrics.transactions(bucket=bucket, start=f"{YEAR}-01-01", end=end, tz=tz, group_by=group)


def same(answer: Any, rows: list[tuple[Any, ...]], by_kind: bool) -> bool:
    """Whether the product's non-empty buckets hold the baseline's counts and totals."""
    found = answer[answer["count"] > 0]
    keys = ["bucket", "kind", "count", "total"] if by_kind else ["bucket", "count", "total"]
    mine = [
        (r[0].to_pydatetime(), *map(str, r[1:-2]), int(r[-2]), r[-1])
        for r in found[keys].itertuples(index=False)
    ]
    theirs = [(r[0], *map(str, r[1:-2]), int(r[-2]), r[-1]) for r in rows]
    return sorted(mine) == sorted(theirs)


def timed(runs: list[float], call: Callable[..., Any], *args: Any) -> None:
    start = time.perf_counter()
    call(*args)
    runs.append(time.perf_counter() - start)


def aggregates(url: URL, rows: int, repeat: int) -> list[dict[str, Any]]:
    import toolkit

    seed(url, rows)
    qa = toolkit.connect(url, actor="bench", progress=False)
    out = []
    with psycopg.connect(database.libpq(url), autocommit=True) as conn:
        for name, bucket, by_kind, tz in CASES:
            mine: list[float] = []
            theirs: list[float] = []
            answer, baseline = service(qa, bucket, by_kind, tz), plain(conn, bucket, by_kind, tz)  # warm
            if not same(answer, baseline, by_kind):
                raise SystemExit(f"bench metrics: {name}: qa.metrics and the plain GROUP BY differ")
            for round_ in range(repeat):  # interleaved, so a noisy neighbour hurts both alike
                timed(mine, service, qa, bucket, by_kind, tz)
                timed(theirs, plain, conn, bucket, by_kind, tz)
                print(
                    f"[{round_ + 1}/{repeat}] {name}: qa.metrics {mine[-1]:.3f} s, "
                    f"plain GROUP BY {theirs[-1]:.3f} s",
                    file=sys.stderr,
                )
            out.append({"case": name, "mine": min(mine), "theirs": min(theirs), "buckets": len(answer)})
    qa.close()
    return out


def post_frame_case(url: URL, rows: int) -> Callable[[], Any]:
    """`qa.transactions.post_frame()` of `rows` deposits, refunds and positive adjustments over a year."""
    import numpy as np
    import pandas as pd

    import toolkit

    i = np.arange(rows)
    blocks = accounts_for(rows) // 50
    seconds = i.astype("int64") * 31_536_000 // rows
    frame = pd.DataFrame(
        {
            "account_id": 1 + i % 49 + 50 * ((i // 49) % blocks),
            "kind": pd.Categorical(np.array(["deposit", "refund", "adjustment"])[i % 3]),
            "amount": [f"{c // 100}.{c % 100:02d}" for c in (1 + (i * 7919) % 50000).tolist()],
            "occurred_at": pd.Timestamp(f"{YEAR}-01-01", tz="UTC") + pd.to_timedelta(seconds, unit="s"),
        }
    )
    qa = toolkit.connect(url, actor="bench", progress=False)
    qa.transactions.frame(limit=1)
    return lambda: qa.transactions.post_frame(frame)


def post_frames(url: URL, rows: int, repeat: int) -> list[dict[str, Any]]:
    from benchmarks.__main__ import run_case

    text_url = url.render_as_string(hide_password=False)
    runs: dict[str, list[float]] = {"with the rollup's trigger": [], "without it": []}
    for round_ in range(repeat):
        for name, runs_ in runs.items():
            database.reset(url, accounts_for(rows))
            switch = "ENABLE" if name.startswith("with ") else "DISABLE"
            with psycopg.connect(database.libpq(url), autocommit=True) as conn:
                conn.execute(f"ALTER TABLE transactions {switch} TRIGGER transactions_fill_slots")
            try:
                runs_.append(run_case("post_frame", text_url, rows, "benchmarks.metrics")["seconds"])
            finally:
                with psycopg.connect(database.libpq(url), autocommit=True) as conn:
                    conn.execute("ALTER TABLE transactions ENABLE TRIGGER transactions_fill_slots")
            print(f"[{round_ + 1}/{repeat}] post_frame {name}: {runs_[-1]:.2f} s", file=sys.stderr)
    return [{"case": name, "seconds": min(r)} for name, r in runs.items()]


def document(
    rows: int, repeat: int, about: str, found: list[dict[str, Any]], posts: list[dict[str, Any]]
) -> str:
    lines = [f"# Ledger aggregates: {rows:,} postings over a year\n", about + "\n"]
    if found:
        lines += [
            f"Best of {repeat} interleaved run(s); `qa.metrics.transactions(...)` (every bucket, as a"
            " DataFrame) against the plain `GROUP BY date_trunc(...)` over the same rows (psycopg).\n",
            "| case | buckets | qa.metrics s | plain GROUP BY s | ratio | target | met? |",
            "| --- | ---: | ---: | ---: | ---: | --- | --- |",
        ]
        for f in found:
            ratio = f["mine"] / f["theirs"]
            met = "yes" if ratio <= TARGET else "**no**"
            lines.append(
                f"| {f['case']} | {f['buckets']} | {f['mine']:.3f} | {f['theirs']:.3f} | {ratio:.3f}x "
                f"| ≤ {TARGET}x | {met} ({1 / ratio:.0f}x faster) |"
            )
    if posts:
        lines += [f"`qa.transactions.post_frame()` of {rows:,} postings over a year, best of {repeat}:", ""]
        lines += ["| case | seconds |", "| --- | ---: |"]
        lines += [f"| {p['case']} | {p['seconds']:.2f} |" for p in posts]
        lines.append(f"\nWith the trigger: {posts[0]['seconds'] / posts[1]['seconds'] - 1:+.1%}.")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    from benchmarks import report

    parser = argparse.ArgumentParser(prog="./dev bench metrics", description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="postings (default 1,000,000)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per case; the best is reported")
    parser.add_argument("--post-frame", action="store_true", help="post_frame with and without the trigger")
    parser.add_argument("--no-save", action="store_true", help=f"do not write {RESULTS.name}")
    args = parser.parse_args(argv)
    url = database.start()
    found = [] if args.post_frame else aggregates(url, args.rows, args.repeat)
    posts = post_frames(url, args.rows, args.repeat) if args.post_frame else []
    with psycopg.connect(database.libpq(url)) as conn:
        server = str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
    text = document(args.rows, args.repeat, report.machine(f"PostgreSQL {server}"), found, posts)
    print(text)
    if not args.no_save:
        path = RESULTS.with_name("metrics-post-frame.md") if args.post_frame else RESULTS
        path.write_text(text)


if __name__ == "__main__":  # a case in a fresh process: CASE URL ROWS
    import json
    import os

    from benchmarks.child import measure

    print(json.dumps({"case": sys.argv[1], **measure(post_frame_case, sys.argv[2], int(sys.argv[3]))}))
    sys.stdout.flush()
    os._exit(0)
