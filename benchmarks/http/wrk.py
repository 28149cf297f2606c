"""Run wrk (installing it from Debian when missing) and read its `--latency` report."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from benchmarks.apt import ensure_command

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass(frozen=True)
class Result:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


def ensure_wrk() -> str:
    return ensure_command("wrk")


def millis(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)([a-z]+)", text.strip()).groups()  # type: ignore[union-attr]
    return float(number) * UNITS[unit]


def parse(output: str) -> Result:
    """Requests/s, p50 and p99 (ms), the request count and errors (socket errors and non-2xx/3xx)."""

    def find(pattern: str, default: str | None = None) -> str:
        match = re.search(pattern, output, re.MULTILINE)
        if match is None:
            if default is None:
                raise ValueError(f"wrk output has no {pattern!r}:\n{output}")
            return default
        return match.group(1)

    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    socket_errors = sum(int(n) for n in sockets.groups()) if sockets else 0
    return Result(
        requests_per_s=float(find(r"^Requests/sec:\s+([\d.]+)")),
        p50_ms=millis(find(r"^\s+50%\s+(\S+)")),
        p99_ms=millis(find(r"^\s+99%\s+(\S+)")),
        requests=int(find(r"^\s+(\d+) requests in")),
        errors=socket_errors + int(find(r"Non-2xx or 3xx responses: (\d+)", "0")),
    )


RANDOM = Path(__file__).resolve().parent / "random.lua"


def run(
    url: str,
    connections: int,
    seconds: float,
    headers: dict[str, str],
    threads: int = 2,
    random: list[str] | None = None,
) -> Result:
    """wrk on `url`; with `random` (random.lua's arguments: a path template and its choices), every request
    asks for a path of its own."""
    command = [ensure_wrk(), f"-t{min(threads, connections)}", f"-c{connections}", f"-d{seconds:g}s"]
    command += ["--latency", "--timeout", "5s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    if random is not None:
        command += ["-s", str(RANDOM)]
    command += [url, *(["--", *random] if random is not None else [])]
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60)
    return parse(done.stdout)


def version() -> str:
    done = subprocess.run([ensure_wrk(), "--version"], capture_output=True, text=True, check=False)
    return (done.stdout + done.stderr).split("\n")[0].split(" [")[0].strip()
