"""`python -m benchmarks.http`: the sidecar and a bare ASGI reference app, side by side, under wrk.

Both run in the same run, on the same database and the same uvicorn settings; the table goes to stdout and
to benchmarks/results/http.md.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import urllib.request
from pathlib import Path

from benchmarks.http import fixture, servers, wrk
from benchmarks.http.report import Row, document
from toolkit.cluster import free_port

RESULTS = Path(__file__).resolve().parent.parent / "results" / "http.md"


def fetch(url: str, headers: dict[str, str]) -> object:
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as response:
        if response.status != 200:
            raise RuntimeError(f"{url} answered {response.status}")
        return json.loads(response.read())


def requests(data: fixture.Fixture, limit: int) -> list[tuple[str, str, str]]:
    """(label, sidecar path, reference path): the same rows from both."""
    return [
        ("GET /v1/accounts/{id}", f"/v1/accounts/{data.account_id}", f"/accounts/{data.account_id}"),
        (
            f"GET /v1/accounts?plan=eq.{data.plan}&order=id.asc&limit={limit}",
            f"/v1/accounts?plan=eq.{data.plan}&order=id.asc&limit={limit}",
            f"/accounts?plan={data.plan}&limit={limit}",
        ),
    ]


def etag_of(url: str, headers: dict[str, str]) -> str:
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as response:
        return str(response.headers["ETag"])


def revalidations(
    args: argparse.Namespace, url: str, auth: dict[str, str], label: str, full: list[Row]
) -> list[Row]:
    """The list polled with its current ETag (304s), each beside the sidecar answering it in full: in these
    rows the "reference" columns are the full answer, so the ratio is the 304's speed-up."""
    conditional = auth | {"If-None-Match": etag_of(url, auth)}
    rows = []
    for row in full:
        print(f"{row.workers} worker(s), {label} revalidated, {row.connections} connections ...", flush=True)
        best = best_of(args, url, row.connections, conditional)
        rows.append(
            Row(row.workers, f"{label} If-None-Match (304 vs full)", row.connections, row.sidecar, best)
        )
    return rows


def check_same_answers(
    sidecar: str, reference: str, paths: list[tuple[str, str, str]], auth: dict[str, str]
) -> None:
    """Before measuring: both apps answer 200 with the same rows (so neither is fast by being wrong)."""
    for label, ours, theirs in paths:
        if fetch(sidecar + ours, auth) != fetch(reference + theirs, {}):
            raise RuntimeError(f"{label}: the sidecar and the reference answer different bodies")


def best_of(args: argparse.Namespace, url: str, connections: int, headers: dict[str, str]) -> wrk.Result:
    """The run with the most requests per second of `args.rounds`, each after a warm-up (the machine is
    shared, so noise only ever slows a run down)."""
    runs = []
    for _ in range(args.rounds):
        wrk.run(url, connections, args.warmup, headers)
        runs.append(wrk.run(url, connections, args.seconds, headers))
    return max(runs, key=lambda result: result.requests_per_s)


def measure(args: argparse.Namespace, data: fixture.Fixture, home: Path) -> list[Row]:
    auth = {"Authorization": f"Bearer {data.secret}"}
    env = os.environ | {"QUEACCOUNT_DATABASE_URL": data.url.render_as_string(hide_password=False)}
    paths = requests(data, args.limit)
    rows: list[Row] = []
    for workers in args.workers:
        ours, theirs = free_port(), free_port()
        sidecar, reference = f"http://{servers.HOST}:{ours}", f"http://{servers.HOST}:{theirs}"
        with (
            servers.running(
                servers.sidecar_command(data.url, ours, workers),
                f"{sidecar}/health/live",
                home / "sidecar.log",
                env,
            ),
            servers.running(
                servers.reference_command(theirs, workers), f"{reference}/health", home / "reference.log", env
            ),
        ):
            check_same_answers(sidecar, reference, paths, auth)
            for label, our_path, their_path in paths:
                targets: dict[str, tuple[str, dict[str, str]]] = {
                    "reference": (reference + their_path, {}),
                    "sidecar": (sidecar + our_path, auth),
                }
                for connections in args.connections:
                    print(f"{workers} worker(s), {label}, {connections} connections ...", flush=True)
                    best = {
                        name: best_of(args, url, connections, headers)
                        for name, (url, headers) in targets.items()
                    }
                    rows.append(Row(workers, label, connections, best["reference"], best["sidecar"]))
            listed = [r for r in rows if r.workers == workers and r.request == paths[-1][0]]
            rows += revalidations(args, sidecar + paths[-1][1], auth, paths[-1][0], listed)
    return rows


def numbers(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.http", description=__doc__)
    parser.add_argument("--seconds", type=float, default=12, help="measured seconds per row (default 12)")
    parser.add_argument("--warmup", type=float, default=3, help="warm-up seconds before each (default 3)")
    parser.add_argument("--rounds", type=int, default=1, help="runs per row, the best one kept (default 1)")
    parser.add_argument("--connections", type=numbers, default=[16, 64], help="default 16,64")
    parser.add_argument("--workers", type=numbers, default=[1], help="uvicorn workers, e.g. 1,2 (default 1)")
    parser.add_argument("--limit", type=int, default=100, help="rows of the list request (default 100)")
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"default {RESULTS}")
    parser.add_argument(
        "--replicas", action="store_true", help="instead: reads on a standby vs the primary, two hosts vs one"
    )
    args = parser.parse_args(argv)
    if args.replicas:
        from benchmarks.http import replicas

        return replicas.main(args)
    wrk.ensure_wrk()
    with tempfile.TemporaryDirectory(prefix="qa-http-bench-") as folder:
        home = Path(folder)
        data = fixture.prepare(home)
        rows = measure(args, data, home)
    text = document(
        rows,
        args.seconds,
        args.warmup,
        args.rounds,
        {"PostgreSQL": data.server_version, "wrk": wrk.version()},
    )
    print("\n" + text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
