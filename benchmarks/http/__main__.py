"""`python -m benchmarks.http`: the sidecar and a bare ASGI reference app, side by side, under wrk.

Each request twice: fixed (every client asks for the same row or page, as dashboards polling one answer do:
the sidecar's request collapsing, toolkit/collapse.py, answers them with fewer statements) and random (every
request another row, or another page of a random plan: nothing to collapse but the single-row reads asked
together, which share one `id = any(...)` statement). Both apps run in the same run, on the same database
and the same uvicorn settings; the table goes to stdout and to benchmarks/results/http.md.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import urllib.request
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Case:
    """One request measured on both apps: the same rows from each. A random case's paths are templates
    (random.lua fills {id}, {plan} and {offset} anew for every request)."""

    label: str
    ours: str
    theirs: str
    random: bool = False
    listing: bool = False

    def choices(self, data: fixture.Fixture, path: str) -> list[str] | None:
        """random.lua's arguments for `path`, or None for a fixed case."""
        if not self.random:
            return None
        return [path, str(data.ids_file), ",".join(data.plans), str(data.max_offset)]

    def example(self, data: fixture.Fixture, path: str) -> str:
        """One path a random case asks for (the check that both apps answer alike)."""
        filled = {"{id}": str(data.account_id), "{plan}": data.plans[-1], "{offset}": str(data.max_offset)}
        for placeholder, value in filled.items():
            path = path.replace(placeholder, value)
        return path


def requests(data: fixture.Fixture, limit: int) -> list[Case]:
    """The fixed requests (every client asks for the same answer, as polling dashboards do) and their random
    twins (every request a different row, or a different page of a random plan)."""
    page = f"order=id.asc&limit={limit}"
    return [
        Case("GET /v1/accounts/{id}", f"/v1/accounts/{data.account_id}", f"/accounts/{data.account_id}"),
        Case("GET /v1/accounts/{random id}", "/v1/accounts/{id}", "/accounts/{id}", random=True),
        Case(
            f"GET /v1/accounts?plan=eq.{data.plan}&{page}",
            f"/v1/accounts?plan=eq.{data.plan}&{page}",
            f"/accounts?plan={data.plan}&limit={limit}",
            listing=True,
        ),
        Case(
            f"GET /v1/accounts?plan=eq.{{random}}&{page}&offset={{random}}",
            f"/v1/accounts?plan=eq.{{plan}}&{page}&offset={{offset}}",
            f"/accounts?plan={{plan}}&limit={limit}&offset={{offset}}",
            random=True,
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


def check_same_answers(sidecar: str, reference: str, cases: list[Case], data: fixture.Fixture) -> None:
    """Before measuring: both apps answer 200 with the same rows (so neither is fast by being wrong)."""
    auth = {"Authorization": f"Bearer {data.secret}"}
    for case in cases:
        ours, theirs = case.example(data, case.ours), case.example(data, case.theirs)
        if fetch(sidecar + ours, auth) != fetch(reference + theirs, {}):
            raise RuntimeError(f"{case.label}: the sidecar and the reference answer different bodies")


def best_of(
    args: argparse.Namespace,
    url: str,
    connections: int,
    headers: dict[str, str],
    random: list[str] | None = None,
) -> wrk.Result:
    """The run with the most requests per second of `args.rounds`, each after a warm-up (the machine is
    shared, so noise only ever slows a run down)."""
    runs = []
    for _ in range(args.rounds):
        wrk.run(url, connections, args.warmup, headers, random=random)
        runs.append(wrk.run(url, connections, args.seconds, headers, random=random))
    return max(runs, key=lambda result: result.requests_per_s)


def measure(args: argparse.Namespace, data: fixture.Fixture, home: Path) -> list[Row]:
    auth = {"Authorization": f"Bearer {data.secret}"}
    env = os.environ | {"QUEACCOUNT_DATABASE_URL": data.url.render_as_string(hide_password=False)}
    cases = [c for c in requests(data, args.limit) if args.random or not c.random]
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
            check_same_answers(sidecar, reference, cases, data)
            for case in cases:
                targets = {
                    "reference": (reference, case.theirs, {}),
                    "sidecar": (sidecar, case.ours, auth),
                }
                for connections in args.connections:
                    print(f"{workers} worker(s), {case.label}, {connections} connections ...", flush=True)
                    best = {
                        name: best_of(
                            args,
                            # a random case's URL is the server's: random.lua gives each request its path
                            server if case.random else server + path,
                            connections,
                            headers,
                            case.choices(data, path),
                        )
                        for name, (server, path, headers) in targets.items()
                    }
                    rows.append(Row(workers, case.label, connections, best["reference"], best["sidecar"]))
            listing = next(c for c in cases if c.listing)
            listed = [r for r in rows if r.workers == workers and r.request == listing.label]
            rows += revalidations(args, sidecar + listing.ours, auth, listing.label, listed)
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
    parser.add_argument(
        "--limit", type=int, default=fixture.LIMIT, help=f"rows of the list request (default {fixture.LIMIT})"
    )
    parser.add_argument(
        "--no-random",
        dest="random",
        action="store_false",
        help="only the fixed requests (not their twins where every request asks for another row or page)",
    )
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
