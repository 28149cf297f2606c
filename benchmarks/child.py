"""One case in a fresh process: `python -m benchmarks.child CASE URL ROWS` prints its figures as JSON."""

from __future__ import annotations

import gc
import json
import os
import resource
import sys
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import make_url

from benchmarks.cases import CASES
from benchmarks.reads import frame_bytes


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def main(name: str, url: str, rows: int) -> dict[str, object]:
    return {"case": name, **measure(CASES[name].setup, url, rows)}


def measure(setup: Callable[..., Callable[[], Any]], url: str, rows: int) -> dict[str, object]:
    """Seconds and peak RSS of the call `setup(url, rows)` returns (the setup itself untimed), the RSS before
    it, and the size of the result's own data (`reads.frame_bytes`) when it has one."""
    timed = setup(make_url(url), rows)
    gc.collect()
    before = rss_mb()
    start = time.perf_counter()
    result = timed()
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    summary = str(result if not hasattr(result, "shape") else result.shape)
    data = frame_bytes(result)
    figures = {"seconds": seconds, "peak_mb": peak, "before_mb": before, "result": summary}
    return figures if data is None else {**figures, "data_mb": data / 2**20}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2], int(sys.argv[3]))))
    sys.stdout.flush()

    os._exit(0)  # skip slow teardown of big frames and open connections: the figures are printed
