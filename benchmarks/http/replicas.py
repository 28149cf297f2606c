"""`python -m benchmarks.http --replicas`: sidecar requests/s with reads on a streaming standby versus on the
primary, and two hosts behind haproxy versus one, all in one run on one primary and its standby
(toolkit/cluster.py) with the sample data. The table goes to stdout and to benchmarks/results/replicas.md.

On one machine the standby, the primary, the hosts, haproxy and wrk share the same cores: the figures say
what moving reads costs or saves per request here, not what a second machine would add.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.apt import ensure_command
from benchmarks.http import fixture, servers, wrk
from toolkit.cluster import LocalCluster, Server, free_port
from toolkit.roles import READER, WRITER
from toolkit.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results" / "replicas.md"
HAPROXY = ROOT / "deploy" / "haproxy.cfg"
HOSTS = ("sidecar-a", "sidecar-b")


def haproxy_config(port: int, backends: list[str]) -> str:
    """deploy/haproxy.cfg listening on 127.0.0.1:`port`, its hosts replaced by `backends` ("host:port"; one or
    two: the second host's line is dropped when there is one)."""
    config = HAPROXY.read_text().replace("bind :8000", f"bind 127.0.0.1:{port}")
    for name, backend in zip(HOSTS, backends, strict=False):
        config = config.replace(f"{name}:8000", backend)
    unused = [f"server {name} {name}:8000" for name in HOSTS[len(backends) :]]
    return "".join(line for line in config.splitlines(True) if line.strip() not in unused)


@contextmanager
def haproxy(backends: list[str], log: Path) -> Iterator[str]:
    """haproxy in front of `backends` (this function starts and stops it); yields its base URL."""
    port = free_port()
    with tempfile.NamedTemporaryFile("w", suffix=".cfg") as config, log.open("ab") as out:
        config.write(haproxy_config(port, backends))
        config.flush()
        process = subprocess.Popen(
            [ensure_command("haproxy"), "-db", "-f", config.name], stdout=out, stderr=subprocess.STDOUT
        )
        try:
            base = f"http://{servers.HOST}:{port}"
            servers.wait_until_answering(f"{base}/health/live", process)  # type: ignore[arg-type]
            yield base
        finally:
            process.terminate()
            process.wait(timeout=10)


def hosts(cluster: LocalCluster, read: Server, count: int, log: Path, stack: ExitStack) -> list[str]:
    """`count` sidecar hosts (one worker each) reading from `read` ("primary" or "standby")."""
    env = os.environ | {"QUEACCOUNT_READ_DATABASE_URL": str(cluster.url(read, READER))}
    started = []
    for _ in range(count):
        port = free_port()
        command = servers.sidecar_command(cluster.url("primary"), port, 1)
        stack.enter_context(servers.running(command, f"http://{servers.HOST}:{port}/health/ready", log, env))
        started.append(f"{servers.HOST}:{port}")
    return started


def load(url: str, connections: int, seconds: float, headers: dict[str, str]) -> wrk.Result:
    """wrk.run, failing with wrk's own words (not its command line, which holds the key)."""
    try:
        return wrk.run(url, connections, seconds, headers)
    except subprocess.CalledProcessError as error:
        raise RuntimeError(f"wrk failed on {url}: {error.stdout}{error.stderr}") from None


# (label, where reads go, hosts, behind haproxy)
CASES: list[tuple[str, Server, int, bool]] = [
    ("1 host", "primary", 1, False),
    ("1 host", "standby", 1, False),
    ("1 host behind haproxy", "standby", 1, True),
    ("2 hosts behind haproxy", "standby", 2, True),
]


def measure(args: argparse.Namespace, home: Path) -> str:
    """Every case in turn, `args.rounds` times over (interleaved, so a noisy neighbour slows all alike), the
    best run of each kept."""
    best: dict[tuple[str, str, str], wrk.Result] = {}
    with LocalCluster() as cluster:
        settings = Settings.load(
            env_file=None,
            database_url=cluster.url("primary"),
            write_database_url=cluster.url("primary", WRITER),
        )
        secret, account_id, version = asyncio.run(fixture._fill(settings))
        cluster.sql("primary", "vacuum analyze")  # the sample was just loaded: settle it on both servers
        cluster.wait_replayed(60)
        auth = {"Authorization": f"Bearer {secret}"}
        paths = [f"/v1/accounts/{account_id}", f"/v1/accounts?plan=eq.pro&order=id.asc&limit={args.limit}"]
        for _ in range(args.rounds):
            for label, read, count, balanced in CASES:
                with ExitStack() as stack:
                    started = hosts(cluster, read, count, home / "sidecars.log", stack)
                    base = f"http://{started[0]}"
                    if balanced:
                        base = stack.enter_context(haproxy(started, home / "haproxy.log"))
                    for path in paths:
                        print(f"{label}, reads on the {read}, GET {path} ...", flush=True)
                        load(base + path, args.connections[0], args.warmup, auth)
                        result = load(base + path, args.connections[0], args.seconds, auth)
                        kept = best.get((label, read, path))
                        if kept is None or result.requests_per_s > kept.requests_per_s:
                            best[(label, read, path)] = result
    return document([(*key, result) for key, result in best.items()], args, version)


def document(rows: list[tuple[str, str, str, wrk.Result]], args: argparse.Namespace, version: str) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Sidecar reads on a standby, and two hosts",
        "",
        f"{when}, {platform.machine()} with {os.cpu_count()} cores, PostgreSQL {version} (primary and",
        f"streaming standby on this machine), {args.connections[0]} connections, {args.seconds:g} s after",
        f"{args.warmup:g} s of warm-up, one uvicorn worker per host, best of {args.rounds} interleaved",
        f"round(s), load average {os.getloadavg()[0]:.1f} at the end. `python -m benchmarks.http --replicas`",
        "",
        "| hosts | reads on | request | req/s | p50 ms | p99 ms | errors |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for label, read, path, r in rows:
        lines.append(
            f"| {label} | {read} | `GET {path}` | {r.requests_per_s:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f}"
            f" | {r.errors} |"
        )
    return "\n".join(lines) + "\n"


def main(args: argparse.Namespace) -> int:
    wrk.ensure_wrk()
    ensure_command("haproxy")
    with tempfile.TemporaryDirectory(prefix="qa-replica-bench-") as folder:
        text = measure(args, Path(folder))
    print("\n" + text)
    output = RESULTS if args.output == ROOT / "benchmarks" / "results" / "http.md" else args.output
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    print(f"written to {output}")
    return 0
