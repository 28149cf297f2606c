"""`./dev bench scale [--sizes 100k,1M,10M]`: every case at each size, one table of how the cost grows.

Each size is a `./dev bench` run of its own (the same cases, fresh processes, freshly seeded table); the table
shows each case's seconds and its ratio to its group's baseline at every size, and the peak memory at the
largest. It writes benchmarks/results/scale.md. At 10,000,000 rows one round takes about 25 minutes and
`read_sql` / `to_sql` need about 16 GiB of memory: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import psycopg

from benchmarks import database, report, rounds
from benchmarks.cases import BASELINES, CASES

RESULTS = Path(__file__).parent / "results" / "scale.md"
Sized = dict[int, dict[str, rounds.Figures]]


def sizes_of(text: str) -> list[int]:
    """`100000,1000000` or `100k,1M,10M` as row counts."""
    units = {"k": 1_000, "m": 1_000_000}
    counts = []
    for part in text.lower().replace("_", "").split(","):
        number, unit = (part[:-1], units[part[-1]]) if part[-1:] in units else (part, 1)
        counts.append(int(float(number) * unit))
    return counts


def table(sized: Sized) -> str:
    sizes = sorted(sized)
    head = " | ".join(f"{n:,} rows" for n in sizes)
    lines = [
        f"| case | {head} | peak MB at {sizes[-1]:,} |",
        "| --- | " + " | ".join("---:" for _ in sizes) + " | ---: |",
    ]
    for name, case in CASES.items():
        if not any(name in sized[n] for n in sizes):
            continue
        cells = []
        for n in sizes:
            base = BASELINES[case.group]
            best, baseline = sized[n].get(name), sized[n].get(base)
            if best is None:
                cells.append("")
                continue
            ratio = f" ({best['seconds'] / baseline['seconds']:.2f}x)" if baseline and name != base else ""
            cells.append(f"{best['seconds']:.2f} s{ratio}")
        largest = sized[sizes[-1]].get(name)
        peak = f"{largest['peak_mb']:,.0f}" if largest else ""
        lines.append(f"| {case.group}: {case.label} | {' | '.join(cells)} | {peak} |")
    return "\n".join(lines)


def document(sized: Sized, repeat: int, about: str) -> str:
    return (
        f"# Benchmarks at scale: {', '.join(f'{n:,}' for n in sorted(sized))} accounts\n\n{about}\n\n"
        f"Best of {repeat} run(s) per case at each size, each case in a fresh process; in brackets each "
        "case's ratio to its group's baseline (read: `pandas.read_sql`, write: the hand-written upsert, "
        "insert: ADBC ingest, post: a hand-written COPY + INSERT ... SELECT) at that size.\n\n"
        f"{table(sized)}\n"
    )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="./dev bench scale", description=__doc__)
    parser.add_argument("--sizes", type=sizes_of, default=[100_000, 1_000_000, 10_000_000], help="row counts")
    parser.add_argument("--only", choices=sorted({c.group for c in CASES.values()}), action="append")
    parser.add_argument("--case", choices=list(CASES), action="append", help="single cases to run")
    parser.add_argument("--repeat", type=int, default=1, help="runs per case and size; the best is reported")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"file to write ({RESULTS.name})")
    parser.add_argument("--no-save", action="store_true", help="only print the table")
    args = parser.parse_args(argv)
    names = [n for n, c in CASES.items() if (not args.only or c.group in args.only)]
    names = [n for n in names if not args.case or n in args.case]
    url = database.start()
    sized = {rows: rounds.best_of(names, url, rows, args.repeat) for rows in args.sizes}
    with psycopg.connect(database.libpq(url)) as conn:
        server = str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
    text = document(sized, args.repeat, report.machine(f"PostgreSQL {server}"))
    print(text)
    if not args.no_save:
        args.out.write_text(text)
