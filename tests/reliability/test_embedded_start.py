"""Many notebooks start at once on a new machine: one embedded PostgreSQL starts, and all of them work."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.reliability.test_concurrency import record

# Run in fresh interpreters: the embedded server a process starts lives (and is stopped) with that process.
SCRIPT = textwrap.dedent(
    """
    import json, sys, threading, time
    from pathlib import Path

    import psutil

    import toolkit

    threads, pgdata = int(sys.argv[1]), str((Path(sys.argv[2]) / "pgdata").resolve())
    migrate = sys.argv[3] == "0"  # one process migrates; two upgrading at once is not what this tests
    barrier = threading.Barrier(threads)
    kits, errors, rows = [None] * threads, [], []

    def connect(i):
        try:
            barrier.wait()
            kits[i] = toolkit.connect(actor=f"t{i}", progress=False)
            kits[i].migrations.current()  # the first call starts (or joins) the embedded server
        except BaseException as error:
            errors.append(f"{type(error).__name__}: {error}")

    def read(i):
        try:
            rows.append(len(kits[i].accounts.frame()))
        except BaseException as error:
            errors.append(f"{type(error).__name__}: {error}")

    def all_at_once(target):
        workers = [threading.Thread(target=target, args=(i,)) for i in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()

    all_at_once(connect)
    if not errors:
        if migrate:
            kits[0].migrations.upgrade()
        deadline = time.monotonic() + 60
        while not kits[0].migrations.current() and time.monotonic() < deadline:
            time.sleep(0.1)
        all_at_once(read)
    postmasters = [
        p.pid for p in psutil.process_iter(["name", "cmdline"])
        if p.info["name"] == "postgres" and pgdata in (p.info["cmdline"] or []) and "-D" in p.info["cmdline"]
    ]
    print(json.dumps({"errors": errors, "rows": rows, "postmasters": postmasters}))
    sys.stdout.flush()
    """
)


@pytest.fixture
def home() -> Iterator[Path]:
    """A new machine's QUEACCOUNT_HOME, outside pytest's temp tree (other runs re-tighten its permissions)."""
    path = Path(tempfile.mkdtemp(prefix="queaccount-start-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def run_notebooks(home: Path, processes: int, threads: int) -> list[dict[str, object]]:
    env = {k: v for k, v in os.environ.items() if k != "QUEACCOUNT_DATABASE_URL"} | {
        "QUEACCOUNT_HOME": str(home)
    }
    started = [
        subprocess.Popen(
            [sys.executable, "-c", SCRIPT, str(threads), str(home), str(i)],
            cwd=home,  # no .env file from the checkout
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(processes)
    ]
    results = []
    for process in started:
        out, err = process.communicate(timeout=180)
        assert process.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def postmasters_of(pgdata: Path) -> list[int]:
    wanted = str(pgdata.resolve())
    return [
        p.pid
        for p in psutil.process_iter(["name", "cmdline"])
        if p.info["name"] == "postgres" and wanted in (p.info["cmdline"] or [])
    ]


def test_eight_threads_connecting_at_once_start_one_embedded_server_and_all_read(home):
    (result,) = run_notebooks(home, processes=1, threads=8)

    assert result["errors"] == []
    assert result["rows"] == [0] * 8
    assert len(result["postmasters"]) == 1  # type: ignore[arg-type]
    assert postmasters_of(home / "pgdata") == []  # stopped when the notebook process exited
    record("embedded start, 8 threads", {"threads": 8, "postmasters": 1, "errors": 0})


def test_two_processes_starting_it_at_once_share_one_server(home):
    results = run_notebooks(home, processes=2, threads=1)

    assert [r["errors"] for r in results] == [[], []]
    assert [r["rows"] for r in results] == [[0], [0]]
    assert len({pid for r in results for pid in r["postmasters"]}) == 1  # type: ignore[attr-defined]
    assert postmasters_of(home / "pgdata") == []
    record("embedded start, 2 processes", {"processes": 2, "postmasters": 1, "errors": 0})
