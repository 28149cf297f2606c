"""The list read's shortcuts: its rows, built as structs, encode exactly as the dicts they replace; a query
string's kept parse is the parse."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from litestar import Request

from sidecar.grammar import GrammarError, parse_read
from sidecar.reads import json_rows, parsed, row_type

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


def request_for(query_string: bytes, range_header: bytes | None = None) -> Any:
    headers = [(b"range", range_header)] if range_header is not None else []
    return Request({"type": "http", "method": "GET", "path": "/v1/accounts", "query_string": query_string,
                    "headers": headers})  # fmt: skip


def test_a_query_string_parses_as_parse_read_does_each_time() -> None:
    for qs, header in [(b"plan=eq.pro&order=id.asc&limit=100", None), (b"plan=eq.pro", b"0-9")]:
        request = request_for(qs, header)
        expected = parse_read(request.query_params.multi_items(), request.headers.get("range"))
        assert parsed(request_for(qs, header)) == expected
        assert parsed(request_for(qs, header)) == expected


def test_a_refusal_is_raised_every_time() -> None:
    for _ in range(2):
        with pytest.raises(GrammarError):
            parsed(request_for(b"limit=x"))
