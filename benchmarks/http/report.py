"""The results as a Markdown table, with the date, the machine and the versions it was measured with."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata

from benchmarks.http.wrk import Result

# The single-row GET's req/s ratio to the reference, by connections (at least; more connections take the
# largest one at or below them), and its p99 ratio at most; the list's; a 304's speed-up over the full list.
RPS_TARGETS, P99_TARGET = {16: 0.9, 64: 1.0}, 2.0
LIST_TARGET, REVALIDATION_TARGET = 0.9, 2.0
PACKAGES = ["litestar", "uvicorn", "uvloop", "httptools", "wireup", "sqlalchemy", "psycopg", "msgspec"]


@dataclass(frozen=True)
class Row:
    workers: int
    request: str
    connections: int
    reference: Result
    sidecar: Result

    @property
    def rps_ratio(self) -> float:
        return self.sidecar.requests_per_s / self.reference.requests_per_s

    @property
    def p99_ratio(self) -> float:
        return self.sidecar.p99_ms / self.reference.p99_ms


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = ""
    try:
        with open("/proc/meminfo", encoding="utf-8") as info:
            kib = int(next(line.split()[1] for line in info if line.startswith("MemTotal")))
            memory = f", {kib / 1024**2:.0f} GiB"
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()} CPUs ({cpu}){memory}, {platform.system()} {platform.release()}"


def versions(extra: dict[str, str]) -> str:
    found = {"Python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return ", ".join(f"{k} {v}" for k, v in (found | extra).items())


def table(rows: list[Row]) -> str:
    head = [
        "| workers | request | conns | reference req/s | sidecar req/s | ratio | reference p50 / p99 ms "
        "| sidecar p50 / p99 ms | p99 ratio | errors |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    lines = [
        f"| {r.workers} | {r.request} | {r.connections} | {r.reference.requests_per_s:,.0f} "
        f"| {r.sidecar.requests_per_s:,.0f} | {r.rps_ratio:.2f}x "
        f"| {r.reference.p50_ms:.1f} / {r.reference.p99_ms:.1f} "
        f"| {r.sidecar.p50_ms:.1f} / {r.sidecar.p99_ms:.1f} "
        f"| {r.p99_ratio:.2f}x | {r.reference.errors} / {r.sidecar.errors} |"
        for r in rows
    ]
    return "\n".join(head + lines)


def kind(row: Row) -> str:
    """ "row", "list" or "304" for the fixed requests (the targets), "random" for their random twins."""
    if "If-None-Match" in row.request:
        return "304"
    if "random" in row.request:
        return "random"
    return "row" if row.request.startswith("GET /v1/accounts/") else "list"


def rps_target(connections: int) -> float:
    return RPS_TARGETS[max([c for c in RPS_TARGETS if c <= connections] or [min(RPS_TARGETS)])]


def verdict(rows: list[Row]) -> str:
    """Whether the fixed requests meet their targets in every row; the random ones' ratios beside them."""
    single = [r for r in rows if kind(r) == "row"]
    met = all(r.rps_ratio >= rps_target(r.connections) and r.p99_ratio <= P99_TARGET for r in single)
    targets = ", ".join(f"{t}x at {c}" for c, t in sorted(RPS_TARGETS.items()))
    errors = any(r.reference.errors or r.sidecar.errors for r in rows)
    return (
        f"Targets for the single-row GET (the reference's req/s times {targets} connections, "
        f"p99 <= {P99_TARGET}x its p99): "
        + ("**met**" if met else "**not met**")
        + (" (some requests failed: see the errors column)" if errors else "")
        + "."
        + list_verdict(rows)
        + random_note(rows)
    )


def list_verdict(rows: list[Row]) -> str:
    """Whether the 100-row list meets >= 0.9x the reference, and its 304 >= 2x its full answer."""
    lists = [r for r in rows if kind(r) == "list"]
    polls = [r for r in rows if kind(r) == "304"]
    if not lists:
        return ""
    met = all(r.rps_ratio >= LIST_TARGET for r in lists)
    polled = all(r.rps_ratio >= REVALIDATION_TARGET for r in polls) and bool(polls)
    return (
        f" The list (>= {LIST_TARGET}x the reference's req/s): "
        + ("**met**" if met else "**not met**")
        + f"; its 304 revalidation (>= {REVALIDATION_TARGET}x the sidecar's full answer): "
        + ("**met**" if polled else "**not met**")
        + "."
    )


def random_note(rows: list[Row]) -> str:
    """The random requests (nothing the same twice, so little to collapse), held to the same targets."""
    random = [r for r in rows if kind(r) == "random"]
    if not random:
        return ""
    single = [r for r in random if r.request.startswith("GET /v1/accounts/")]
    pages = [r for r in random if r not in single]
    met = all(r.rps_ratio >= rps_target(r.connections) for r in single)
    met = met and all(r.rps_ratio >= LIST_TARGET for r in pages)
    return (
        " Every request a different row or page (the random rows), against the same targets: "
        + ("**met**" if met else "**not met**")
        + "."
    )


def document(
    rows: list[Row], seconds: float, warmup: float, rounds: int, extra_versions: dict[str, str]
) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join(
        [
            "# HTTP sidecar benchmark",
            "",
            f"- date: {when}",
            f"- machine: {machine()}",
            f"- versions: {versions(extra_versions)}",
            f"- method: wrk on 127.0.0.1, {warmup:g} s warm-up then {seconds:g} s per run, "
            f"the best of {rounds} run(s) per row; the reference app "
            "(a bare ASGI handler, one psycopg query from a pool) and the sidecar take turns; PostgreSQL, "
            "wrk and the server share the machine. Errors are socket errors and non-2xx answers "
            "(reference / sidecar).",
            "",
            table(rows),
            "",
            verdict(rows),
            "",
        ]
    )
