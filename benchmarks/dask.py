"""`./dev bench dask [--rows N] [--partitions N] [--processes] [--repeat N]`: Dask frames, side by side.

`qa.accounts.to_dask().compute()` on a 2-worker `distributed.LocalCluster` against `qa.accounts.frame()` (no
cluster) and against `dask.dataframe.read_sql_table` on the same table and the same cluster. The table is
seeded once (reads change nothing); each case runs in a fresh process that starts its own cluster, untimed.
Workers are threads of the case's process unless `--processes` (then each partition is pickled to the client).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL

from benchmarks import database, reads

RESULTS = Path(__file__).parent / "results" / "dask.md"
WORKERS = 2
Timed = Callable[[], Any]
LABELS = {
    "frame": "qa.accounts.frame() (no cluster)",
    "to_dask": "qa.accounts.to_dask().compute()",
    "read_sql_table": "dask.dataframe.read_sql_table(...).compute()",
}
TARGETS = [("to_dask", "frame", 1.3, "≤ 1.3x"), ("to_dask", "read_sql_table", 1 / 5, "≥ 5x faster than")]


def cluster(processes: bool) -> Any:
    """A 2-worker LocalCluster (one thread each) and its client, made the default scheduler."""
    from distributed import Client, LocalCluster

    local = LocalCluster(
        n_workers=WORKERS, threads_per_worker=1, processes=processes, dashboard_address=None, memory_limit=0
    )
    return Client(local)


def to_dask(partitions: int, processes: bool) -> Callable[[URL, int], Timed]:
    def setup(url: URL, rows: int) -> Timed:
        import toolkit
        from toolkit.models import Account

        cluster(processes)
        qa = toolkit.connect(url, actor="bench", progress=False)
        qa.accounts.to_dask(Account.id < 0, npartitions=partitions).compute()  # connections and imports
        return lambda: qa.accounts.to_dask(npartitions=partitions).compute()

    return setup


def read_sql_table(partitions: int, processes: bool) -> Callable[[URL, int], Timed]:
    def setup(url: URL, rows: int) -> Timed:
        import dask.dataframe as dd

        cluster(processes)
        text = url.render_as_string(hide_password=False)
        return lambda: dd.read_sql_table("accounts", text, index_col="id", npartitions=partitions).compute()

    return setup


def setups(partitions: int, processes: bool) -> dict[str, Callable[[URL, int], Timed]]:
    return {
        "frame": reads.frame,
        "to_dask": to_dask(partitions, processes),
        "read_sql_table": read_sql_table(partitions, processes),
    }


def verdict(best: dict[str, dict[str, float]], name: str) -> tuple[str, str]:
    """The targets of case `name` and whether each was met, with the ratio measured."""
    texts, met = [], []
    for case, other, at_most, text in TARGETS:
        if case == name and other in best:
            ratio = best[name]["seconds"] / best[other]["seconds"]
            texts.append(f"{text} {LABELS[other].split(' ')[0]}")
            shown = f"{1 / ratio:.1f}x faster" if at_most < 1 else f"{ratio:.2f}x"
            met.append(f"{'yes' if ratio <= at_most else '**no**'} ({shown})")
    return "; ".join(texts), "; ".join(met)


def document(best: dict[str, dict[str, float]], args: argparse.Namespace, about: str) -> str:
    lines = ["| case | seconds | peak MB (client) | target | met? |", "| --- | ---: | ---: | --- | --- |"]
    for name, label in ((n, label) for n, label in LABELS.items() if n in best):
        targets, met = verdict(best, name)
        lines.append(
            f"| {label} | {best[name]['seconds']:.2f} | {best[name]['peak_mb']:.0f} | {targets} | {met} |"
        )
    workers = "processes" if args.processes else "threads of the case's process"
    return (
        f"# Dask frames: {args.rows:,} accounts\n\n{about}\n\n"
        f"A LocalCluster of {WORKERS} workers ({workers}, one thread each), {args.partitions} partitions; "
        f"best of {args.repeat} run(s) per case, each in a fresh process.\n\n" + "\n".join(lines) + "\n"
    )


def main(argv: list[str]) -> None:
    from benchmarks import report
    from benchmarks.rounds import run_case

    parser = argparse.ArgumentParser(prog="./dev bench dask", description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="accounts (default 1,000,000)")
    parser.add_argument(
        "--partitions", type=int, default=2 * WORKERS, help="to_dask/read_sql_table partitions"
    )
    parser.add_argument("--processes", action="store_true", help="workers in processes of their own")
    parser.add_argument("--case", choices=list(LABELS), action="append", help="single cases to run")
    parser.add_argument("--repeat", type=int, default=1, help="runs per case; the best is reported")
    parser.add_argument("--no-save", action="store_true", help=f"do not write {RESULTS.name}")
    args = parser.parse_args(argv)
    url = database.start()
    database.reset(url, args.rows)
    text_url = url.render_as_string(hide_password=False)
    extra = (str(args.partitions), str(int(args.processes)))
    runs: dict[str, list[dict[str, float]]] = {n: [] for n in LABELS if not args.case or n in args.case}
    for round_ in range(args.repeat):
        for name in runs:  # interleaved, so a noisy neighbour hurts every case alike
            figures = run_case(name, text_url, args.rows, "benchmarks.dask", *extra)
            runs[name].append(figures)
            print(f"[{round_ + 1}/{args.repeat}] {name}: {figures['seconds']:.2f} s", file=sys.stderr)
    best = {
        n: {"seconds": min(r["seconds"] for r in rs), "peak_mb": max(r["peak_mb"] for r in rs)}
        for n, rs in runs.items()
    }
    import psycopg

    with psycopg.connect(database.libpq(url)) as conn:
        server = str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
    from importlib.metadata import version

    about = (
        report.machine(f"PostgreSQL {server}")
        + f"; dask {version('dask')}, distributed {version('distributed')}"
    )
    text = document(best, args, about)
    print(text)
    if not args.no_save:
        RESULTS.write_text(text)


if __name__ == "__main__":  # a case in a fresh process: CASE URL ROWS PARTITIONS PROCESSES
    import json
    import os

    from benchmarks.child import measure

    name, url, rows, partitions, processes = sys.argv[1:6]
    setup = setups(int(partitions), processes == "1")[name]
    print(json.dumps({"case": name, **measure(setup, url, int(rows))}))
    sys.stdout.flush()
    os._exit(0)
