"""Bodies in the shapes clients ask for: a bare JSON array, CSV with a header row, or one JSON object."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from enum import Enum
from typing import Any

import msgspec
from litestar import Request
from litestar.datastructures import MutableScopeHeaders
from litestar.response.base import ASGIResponse
from litestar.types import Receive, Scope, Send

from sidecar import compression
from sidecar.errors import ApiError

JSON = "application/json"
CSV = "text/csv"
OBJECT = "application/vnd.pgrst.object+json"
Row = Mapping[str, Any]


# The Content-Type Litestar's ASGIResponse sends for each media type (text/* with its charset).
CONTENT_TYPES = {media: media.encode() for media in (JSON, OBJECT)} | {CSV: b"text/csv; charset=utf-8"}


class Answer(ASGIResponse):
    """An `ASGIResponse` with the messages Litestar's would send (the same headers in the same order: the
    given ones lower-cased, then Content-Type and Content-Length), encoded once here as bytes.

    Litestar's own builds them through `MutableScopeHeaders` lookups, which costs more than a list page's
    whole JSON encoding; the answers stay ASGIResponses, so routes return them and the row shortcut sends
    them alike, and `headers` can still be changed before sending."""

    __slots__ = ()

    def __init__(
        self, body: bytes = b"", status: int = 200, media: str = JSON, headers: dict[str, str] | None = None
    ) -> None:
        encoded = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
        if status in (204, 304) or status < 200:
            assert not body, "a 204 or 304 has no body"
        else:
            kind = CONTENT_TYPES.get(media) or media.encode("latin-1")
            encoded += [(b"content-type", kind), (b"content-length", b"%d" % len(body))]
        self.headers = MutableScopeHeaders({"headers": encoded})
        self.background, self.body, self.content_length = None, body, len(body)
        self._encoded_cookies, self.encoding, self.is_head_response = (), "utf-8", False
        self.status_code = status

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = self.headers.headers
        await send({"type": "http.response.start", "status": self.status_code, "headers": headers})
        await send({"type": "http.response.body", "body": self.body, "more_body": False})


def wanted(request: Request[Any, Any, Any]) -> str:
    """The representation the Accept header asks for (JSON when it does not say); 406 otherwise."""
    return media_for(request.headers.get("accept", ""))


OFFERED = {OBJECT: 3, CSV: 2, JSON: 1, "*/*": 0, "application/*": 0}  # the more specific wins a tie


def media_for(accept: str) -> str:
    """`wanted` for the text of an Accept header: the offered type of the highest quality (`q=0` refuses
    one), the single object before CSV before JSON when qualities tie; `*/*` and `application/*` mean JSON."""
    if not accept.strip():
        return JSON
    if accept in OFFERED:  # one type, as most clients send it
        return accept if OFFERED[accept] else JSON
    best: tuple[float, int, str] | None = None
    for item in accept.lower().split(","):
        media, *params = (part.strip() for part in item.split(";"))
        rank = OFFERED.get(media)
        quality = next((compression.quality(p[2:]) for p in params if p.startswith("q=")), 1.0)
        if rank is not None and quality > 0 and (best is None or (quality, rank) > best[:2]):
            best = (quality, rank, media if rank else JSON)
    if best is not None:
        return best[2]
    raise ApiError(
        406,
        "PGRST107",
        f"None of these media types are available: {accept}",
        hint=f"ask for {JSON}, {CSV} or {OBJECT}",
    )


def etag(version: int) -> str:
    return f'"{version}"'


# OWASP's CSV injection guidance: a cell starting with one of these is a formula to a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    """One CSV cell. Text (a `str`: the value of a text column) that would start a formula gets a leading
    single quote; numbers, timestamps and JSON never do, so a negative amount stays a number."""
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, dict | list):
        return msgspec.json.encode(value).decode()
    return str(value)


def to_csv(rows: Sequence[Row], columns: Sequence[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(map(cell, columns))  # a header cell is text too (`select==1+2:email` names one)
    writer.writerows([cell(row.get(c)) for c in columns] for row in rows)
    return buffer.getvalue().encode()


def single(rows: Sequence[Row]) -> Row:
    """The one row of a result; 406 (as PostgREST answers) when there are none or several."""
    exactly_one(len(rows))
    return rows[0]


def exactly_one(count: int) -> None:
    """406 unless `count` is 1: the single-object media type holds one row."""
    if count != 1:
        raise ApiError(
            406,
            "PGRST116",
            "JSON object requested, multiple (or no) rows returned",
            details=f"The result contains {count} rows",
        )


def rows_response(
    rows: Sequence[Row],
    columns: Sequence[str],
    media: str,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> ASGIResponse:
    """Encode rows as the client asked (JSON arrays and objects by msgspec: exact decimals, ISO times)."""
    return Answer(encoded(rows, columns, media), status, media, headers)


def encoded(rows: Sequence[Row], columns: Sequence[str], media: str) -> bytes:
    """The body of `rows_response`."""
    if media == CSV:
        return to_csv(rows, columns)
    if media == OBJECT:
        return msgspec.json.encode(single(rows))
    return msgspec.json.encode(rows)


def one_row_response(
    row: Row, accept: str, if_none_match: str, version: str | None = "version", max_age: int = 0
) -> ASGIResponse:
    """One row as an object (or CSV); with a `version` column, its value is the ETag, and `If-None-Match`
    naming that ETag answers 304. Cache-Control lets a client keep it `max_age` seconds."""
    media = media_for(accept)
    media = OBJECT if media == JSON else media
    headers = {"Cache-Control": f"private, max-age={max_age}"}
    if version is None:
        return rows_response([row], list(row), media, headers=headers)
    headers["ETag"] = tag = etag(row[version])
    if tag in if_none_match or if_none_match.strip() == "*":  # `*`: any version of a row that exists
        return Answer(status=304, headers=headers)
    return rows_response([row], list(row), media, headers=headers)
