"""Start the sidecar (`queaccount serve`) and the reference app as processes on a free loopback port."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import URL

HOST = "127.0.0.1"


def wait_until_answering(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"no answer from {url} within {seconds} s")


@contextmanager
def running(command: list[str], ready: str, log: Path, env: dict[str, str]) -> Iterator[None]:
    """Run `command` (this function started it, so it stops it) until the block ends."""
    with log.open("ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        try:
            wait_until_answering(ready, process)
            yield
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def sidecar_command(url: URL, port: int, workers: int) -> list[str]:
    database = url.render_as_string(hide_password=False)
    serve = ["serve", "--host", HOST, "--port", str(port), "--workers", str(workers)]
    return [sys.executable, "-m", "toolkit.cli", "--database-url", database, *serve]


def reference_command(port: int, workers: int) -> list[str]:
    options = ["--host", HOST, "--port", str(port), "--workers", str(workers)]
    return [sys.executable, "-m", "benchmarks.http.reference", *options]
