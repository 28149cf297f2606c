"""Where a read's parsed columns are allocated, and that a pyarrow without jemalloc still reads."""

from __future__ import annotations

import pyarrow as pa
import pytest

from toolkit.frames import read
from toolkit.models import Account


def _schema() -> pa.Schema:
    return read.wire_schema(Account.__table__, Account.__table__.select())


def test_parsed_columns_live_in_the_parse_pool() -> None:
    before = read.parse_pool().bytes_allocated()
    parsed = read.parse_csv(
        b"1,a@example.com\n2,\n", pa.schema([_schema().field("id"), _schema().field("email")])
    )
    assert parsed.column("id").to_pylist() == [1, 2]
    assert parsed.column("email").to_pylist() == ["a@example.com", None]
    assert read.parse_pool().bytes_allocated() > before


def test_without_jemalloc_the_default_pool_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> pa.MemoryPool:
        raise pa.ArrowNotImplementedError("this build has no jemalloc")

    monkeypatch.setattr(pa, "jemalloc_memory_pool", missing)
    read.parse_pool.cache_clear()
    try:
        assert read.parse_pool().backend_name == pa.default_memory_pool().backend_name
    finally:
        read.parse_pool.cache_clear()
