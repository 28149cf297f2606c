"""`./dev bench [--rows N] [--only read|write|insert|post] [--repeat N]`: the cases side by side, as a table.
(`./dev bench dask --rows N`: the Dask frames, see benchmarks/dask.py; `./dev bench metrics --rows N`: the
ledger's aggregates, benchmarks/metrics.py; `./dev bench scale`: every case at 100k, 1M and 10M rows, see
benchmarks/scale.py.)

Each case runs in a fresh process from the same freshly seeded table, on an embedded PostgreSQL started in a
temporary folder (or the server in QUEACCOUNT_BENCH_DATABASE_URL), and prints its time as it finishes. At
1,000,000 rows one round of every case takes about 5 minutes; run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import psycopg

from benchmarks import database, report, rounds
from benchmarks.cases import CASES

RESULTS = Path(__file__).parent / "results" / "latest.md"


def main() -> None:
    if sys.argv[1:2] == ["dask"]:  # `./dev bench dask [--rows N]`: the Dask frames, a group of their own
        from benchmarks import dask

        return dask.main(sys.argv[2:])
    if sys.argv[1:2] == ["scale"]:  # `./dev bench scale`: every case at 100k, 1M and 10M rows, one table
        from benchmarks import scale

        return scale.main(sys.argv[2:])
    if sys.argv[1:2] == ["metrics"]:  # `./dev bench metrics [--rows N]`: the ledger's aggregates
        from benchmarks import metrics

        return metrics.main(sys.argv[2:])
    parser = argparse.ArgumentParser(prog="./dev bench", description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="accounts per case (default 1,000,000)")
    parser.add_argument(
        "--only", choices=sorted({c.group for c in CASES.values()}), action="append", help="groups to run"
    )
    parser.add_argument("--case", choices=list(CASES), action="append", help="single cases to run")
    parser.add_argument("--repeat", type=int, default=1, help="runs per case; the best is reported")
    parser.add_argument("--no-save", action="store_true", help=f"do not write {RESULTS.name}")
    args = parser.parse_args()
    names = [n for n, c in CASES.items() if (not args.only or c.group in args.only)]
    names = [n for n in names if not args.case or n in args.case]
    url = database.start()
    best = rounds.best_of(names, url, args.rows, args.repeat)
    with psycopg.connect(database.libpq(url)) as conn:
        server = str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
    text = report.document(best, args.rows, args.repeat, report.machine(f"PostgreSQL {server}"))
    print(text)
    if not args.no_save:
        RESULTS.write_text(text)


if __name__ == "__main__":
    main()
