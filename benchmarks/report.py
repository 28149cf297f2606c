"""The Markdown table (case, seconds, peak MB, ratio vs baseline, target, met?) and the machine it ran on."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from benchmarks.cases import BASELINES, CASES, TARGETS, Target

Best = dict[str, dict[str, float]]
PACKAGES = ["pandas", "pyarrow", "sqlalchemy", "psycopg", "adbc-driver-postgresql", "numpy"]


def ratio_text(target: Target, ratio: float, data_mb: float = 0.0) -> str:
    if target.allowance_mb:  # the limit in MB reads better than a ratio net of the allowance
        limit = target.at_most * data_mb + target.allowance_mb
        return f"{ratio * data_mb + target.allowance_mb:.0f} MB of {limit:.0f}"
    if target.at_most < 1 and not target.memory and not target.of_data:
        return f"{1 / ratio:.1f}x faster"
    return f"{ratio:.2f}x"


def measured(target: Target, best: Best) -> float | None:
    """The ratio a target judges (None when the run lacks a figure it needs)."""
    mine = best[target.case]
    if target.of_data:
        return (added_mb(mine) - target.allowance_mb) / mine["data_mb"] if mine.get("data_mb") else None
    key = "peak_mb" if target.memory else "seconds"
    return mine[key] / best[target.other][key]


def added_mb(figures: dict[str, float]) -> float:
    """Memory the timed call added: the peak RSS less the RSS just before it."""
    return figures["peak_mb"] - figures.get("before_mb", figures["peak_mb"])


def table(best: Best) -> str:
    lines = [
        "| case | seconds | peak MB | added MB | data MB | ratio vs baseline | target | met? |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for name, case in CASES.items():
        if name not in best:
            continue
        baseline = BASELINES.get(case.group, "")
        ratio = f"{best[name]['seconds'] / best[baseline]['seconds']:.2f}x" if baseline in best else "n/a"
        if name == baseline:
            ratio = "1.00x (baseline)"
        targets, met = [], []
        for target in (t for t in TARGETS if t.case == name and t.other in best):
            ratio_ = measured(target, best)
            if ratio_ is None:
                continue
            targets.append(target.text)
            verdict = "yes" if ratio_ <= target.at_most else "**no**"
            met.append(f"{verdict} ({ratio_text(target, ratio_, best[name].get('data_mb', 0.0))})")
        figures = best[name]
        data = f"{figures['data_mb']:.0f}" if "data_mb" in figures else ""
        lines.append(
            f"| {case.group}: {case.label} | {figures['seconds']:.2f} | {figures['peak_mb']:.0f} "
            f"| {added_mb(figures):.0f} | {data} | {ratio} | {'; '.join(targets)} | {'; '.join(met)} |"
        )
    return "\n".join(lines)


def machine(server_version: str) -> str:
    meminfo = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
    memory = int(meminfo["MemTotal"].split()[0]) / 2**20
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    models = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")]
    versions = ", ".join(f"{p} {version(p)}" for p in PACKAGES)
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} CPUs ({models[0] if models else '?'}), "
        f"{memory:.0f} GiB memory, {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, "
        f"{server_version}; {versions}"
    )


def document(best: Best, rows: int, repeat: int, about: str) -> str:
    return (
        f"# Benchmarks: {rows:,} accounts\n\n{about}\n\n"
        f"Best of {repeat} run(s) per case, each case in a fresh process (peak MB is that process's peak "
        "RSS, imports included; added MB is the peak less the RSS just before the timed call; data MB is the "
        "result's own buffers: a frame's columns, Arrow-backed ones counted by their Arrow buffers, or for "
        "iter_frames the largest chunk); every case starts from the same freshly seeded table.\n\n"
        f"{table(best)}\n"
    )
