"""Which cases run, in which group, against which baseline, and the targets (issue 3 section 6, issue 14)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from benchmarks import postings, reads, writes


@dataclass(frozen=True)
class Case:
    group: str
    label: str
    setup: Callable[..., Callable[[], Any]]


@dataclass(frozen=True)
class Target:
    """`case` against `other`: seconds (or peak MB when `memory`) at most `at_most` times the other's."""

    case: str
    other: str
    at_most: float
    text: str
    memory: bool = False


CASES = {
    "read_sql": Case("read", "pandas.read_sql (SQLAlchemy)", reads.read_sql),
    "adbc": Case("read", "ADBC fetch_arrow_table → pandas", reads.adbc),
    "copy_csv": Case("read", "psycopg COPY → pyarrow CSV → pandas", reads.copy_csv),
    "copy_floor": Case("read", "psycopg COPY, bytes dropped in a Python loop", reads.copy_floor),
    "psql_floor": Case("read", "raw COPY to /dev/null by psql (floor)", reads.psql_floor),
    "frame": Case("read", "qa.accounts.frame()", reads.frame),
    "frame_again": Case(
        "read", "qa.accounts.frame(), the process's second large read (no target)", reads.frame_again
    ),
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
    Target("frame", "read_sql", 1 / 8, "≥ 8x faster than read_sql"),
    Target("frame", "psql_floor", 1.5, "≤ 1.5x the raw COPY floor"),
    Target("frame", "read_sql", 0.5, "≤ 0.5x read_sql's peak memory", memory=True),
    Target("diff_apply", "upsert", 1.0, "≤ 1.0x the hand-written upsert"),
    Target("diff_apply", "to_sql", 1.0, "faster than to_sql"),
    Target("merge_by_key", "diff_apply", 1.3, "≤ 1.3x diff()+apply() by id"),
    Target("insert_frame", "adbc_ingest", 1.0, "≤ 1.0x ADBC ingest"),
    Target("post_frame", "copy_post", 1.3, "≤ 1.3x the hand-written COPY + set-based post"),
]
