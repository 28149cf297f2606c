"""Running cases: each in a fresh process, interleaved round by round, from a freshly seeded table."""

from __future__ import annotations

import json
import subprocess
import sys

from sqlalchemy.engine import URL

from benchmarks import database
from benchmarks.cases import CASES

Figures = dict[str, float]


def run_case(name: str, url: str, rows: int, module: str = "benchmarks.child", *extra: str) -> Figures:
    """One case in a fresh process (`python -m MODULE NAME URL ROWS ...`): the JSON it prints last."""
    done = subprocess.run(
        [sys.executable, "-m", module, name, url, str(rows), *extra],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"bench: case {name} failed:\n{done.stderr}")
    figures: Figures = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def best_of(names: list[str], url: URL, rows: int, repeat: int) -> dict[str, Figures]:
    """Each case `repeat` times, interleaved (a noisy neighbour hurts every case alike), by `fastest()`.
    The table is seeded afresh before every case except a read that follows a read (reads change nothing),
    so every case starts from the same table."""
    text_url = url.render_as_string(hide_password=False)
    runs: dict[str, list[Figures]] = {n: [] for n in names}
    for round_ in range(repeat):
        previous = None
        for name in names:
            if not (previous == CASES[name].group == "read"):
                database.reset(url, rows)
            previous = CASES[name].group
            figures = run_case(name, text_url, rows)
            runs[name].append(figures)
            print(
                f"[{rows:,} rows, {round_ + 1}/{repeat}] {name}: {figures['seconds']:.2f} s, "
                f"{figures['peak_mb']:.0f} MB peak ({figures['result']})",
                file=sys.stderr,
            )
    return {n: fastest(rs) for n, rs in runs.items()}


def fastest(runs: list[Figures]) -> Figures:
    """The fastest run's figures (whatever a case reports), with the largest peak memory of all its runs."""
    best = min(runs, key=lambda r: r["seconds"])
    return {**best, "peak_mb": max(r["peak_mb"] for r in runs)}
