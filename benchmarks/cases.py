"""Which cases run, in which group, against which baseline, and the targets (issue 3 section 6, issue 14)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from benchmarks import postings, reads, writes

# iter_frames() is measured at these chunk sizes: its memory should follow the chunk, not the table.
CHUNKS = {"100k": 100_000, "500k": 500_000, "1m": 1_000_000}


@dataclass(frozen=True)
class Case:
    group: str
    label: str
    setup: Callable[..., Callable[[], Any]]


@dataclass(frozen=True)
class Target:
    """`case` against `other`: seconds (or peak MB when `memory`) at most `at_most` times the other's. With
    `of_data`, the memory the call added (peak RSS less the RSS before it) against the size of the case's own
    result (`other` is the case itself): what the read costs beyond the data it hands over."""

    case: str
    other: str
    at_most: float
    text: str
    memory: bool = False
    of_data: bool = False
    allowance_mb: float = 0.0  # with `of_data`: memory any such read adds whatever its size


CASES = {
    "read_sql": Case("read", "pandas.read_sql (SQLAlchemy)", reads.read_sql),
    "adbc": Case("read", "ADBC fetch_arrow_table → pandas", reads.adbc),
    "copy_csv": Case("read", "psycopg COPY → pyarrow CSV → pandas", reads.copy_csv),
    "copy_floor": Case("read", "psycopg COPY, bytes dropped in a Python loop", reads.copy_floor),
    "psql_floor": Case("read", "raw COPY to /dev/null by psql (floor)", reads.psql_floor),
    "frame": Case("read", "qa.accounts.frame(), first call after connect()", reads.frame),
    "frame_again": Case(
        "read", "qa.accounts.frame(), the process's second large read (no target)", reads.frame_again
    ),
    **{
        f"iter_frames_{label}": Case(
            "read", f"qa.accounts.iter_frames(chunk_rows={chunk:,}), chunks dropped", reads.iter_frames(chunk)
        )
        for label, chunk in CHUNKS.items()
    },
    "upsert": Case("write", "hand-written upsert (ADBC temp table + ON CONFLICT)", writes.upsert),
    "to_sql": Case("write", "DataFrame.to_sql append", writes.to_sql),
    "diff_apply": Case("write", "qa.accounts.diff(df).apply(), audited", writes.diff_apply),
    "merge_by_key": Case(
        "write", 'qa.accounts.diff(df, key="email").apply(), no ids, audited', writes.merge_by_key
    ),
    "adbc_ingest": Case("insert", "ADBC adbc_ingest append", writes.adbc_ingest),
    "insert_frame": Case("insert", "qa.accounts.insert_frame(df), audited", writes.insert_frame),
    "copy_post": Case(
        "post",
        "hand-written COPY into a temp table + INSERT ... SELECT (balances set-based)",
        postings.copy_post,
    ),
    "post_frame": Case("post", "qa.transactions.post_frame(df), audited per posting", postings.post_frame),
}
BASELINES = {"read": "read_sql", "write": "upsert", "insert": "adbc_ingest", "post": "copy_post"}
TARGETS = [
    # Issue 16: what a user waits for, the first call of a fresh process.
    Target("frame", "copy_floor", 1.2, "≤ 1.2x the psycopg COPY loop"),
    Target("frame", "read_sql", 1 / 12, "≥ 12x faster than read_sql"),
    Target("frame", "frame", 2.5, "memory added ≤ 2.5x the frame's own size", of_data=True),
    # Four chunks at once at most: the caller's, the one converted, its bytes, the next one's bytes arriving;
    # plus what a first read adds at any size (thread pool, allocator arenas, libpq's buffers: about 50 MB
    # measured on a 1,000,000-row frame() that reused the memory of one before it).
    *(
        Target(
            f"iter_frames_{label}",
            f"iter_frames_{label}",
            4,
            "memory added ≤ 4x one chunk + 64 MB",
            of_data=True,
            allowance_mb=64,
        )
        for label in CHUNKS
    ),
    Target("diff_apply", "upsert", 1.0, "≤ 1.0x the hand-written upsert"),
    Target("diff_apply", "to_sql", 1.0, "faster than to_sql"),
    Target("merge_by_key", "diff_apply", 1.3, "≤ 1.3x diff()+apply() by id"),
    Target("insert_frame", "adbc_ingest", 1.0, "≤ 1.0x ADBC ingest"),
    Target("post_frame", "copy_post", 1.3, "≤ 1.3x the hand-written COPY + set-based post"),
]
