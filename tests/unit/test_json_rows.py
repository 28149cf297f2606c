"""A JSON list answer's rows, built as structs, encode exactly as the dicts they replace."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import msgspec
import pytest

from sidecar.reads import json_rows, row_type

WHEN = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
ROW = (7, "ada@example.com", None, Decimal("12.50"), WHEN, {"a": [1, 2]}, True)


@pytest.mark.parametrize(
    "columns",
    [
        ["id", "email", "full_name", "balance", "created_at", "meta", "ok"],
        ["count", "sum", "class", "copy", "_x", "é", "total"],
        ["id", "id", "x", "y", "z", "v", "w"],  # repeated: dicts (the last value, the first place)
        ["a.b", "", "__x__", "c", "d", "e", "f"],  # not identifiers or dunders: dicts
    ],
)
def test_rows_encode_as_the_dicts_did(columns: list[str]) -> None:
    got = [ROW, (*ROW[:-1], False, 99)]  # a trailing id fetched only for Link is left out
    as_dicts = [dict(zip(columns, row, strict=False)) for row in got]
    assert msgspec.json.encode(json_rows(got, columns)) == msgspec.json.encode(as_dicts)


def test_names_a_struct_cannot_take_give_none() -> None:
    assert row_type(("id", "id")) is None
    assert row_type(("a.b",)) is None
    assert row_type(("__x__",)) is None
    assert row_type(("id", "email")) is not None
