"""CSV cells: what a spreadsheet would evaluate is neutralised in text, never in numbers; answers are sent as
Litestar would send them."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest
from litestar.response.base import ASGIResponse

from sidecar.errors import ApiError
from sidecar.responses import CSV, JSON, OBJECT, Answer, cell, media_for


def test_csv_cells_neutralise_formulas_in_text_only():
    assert [cell(t) for t in ("=1", "+1", "-1", "@x", "\tx", "\rx", "a=b")] == [
        "'=1",
        "'+1",
        "'-1",
        "'@x",
        "'\tx",
        "'\rx",
        "a=b",
    ]
    assert cell(Decimal("-12.50")) == "-12.50" and cell(-3) == "-3"


def sent_by(response: ASGIResponse) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        messages.append(message)

    async def receive() -> Any:
        return {"type": "http.request", "body": b"", "more_body": False}

    asyncio.run(response({"type": "http"}, receive, send))  # type: ignore[arg-type]
    return messages


@pytest.mark.parametrize(
    ("body", "status", "media"),
    [
        (b'[{"id":1}]', 200, JSON),
        (b"id\n1\n", 200, CSV),
        (b'{"id":1}', 201, OBJECT),
        (b"", 304, JSON),
        (b"", 204, JSON),
    ],
)
def test_an_answer_sends_what_litestars_response_sends(body: bytes, status: int, media: str) -> None:
    headers = {"Content-Range": "0-0/*", "ETag": 'W/"ab"', "Cache-Control": "private, max-age=0"}
    litestars = ASGIResponse(body=body, status_code=status, media_type=media, headers=dict(headers))
    assert sent_by(Answer(body, status, media, dict(headers))) == sent_by(litestars)


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        ("", JSON),
        ("text/csv", CSV),
        ("*/*", JSON),
        ("text/csv, */*", CSV),
        ("application/json, text/csv;q=0.5", JSON),
        ("text/csv;q=0, application/json", JSON),
        ("application/json;q=0.2, text/csv;q=0.9", CSV),
        ("application/vnd.pgrst.object+json;nulls=stripped", OBJECT),
        ("application/vnd.pgrst.object+json;q=0.1, application/json", JSON),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", JSON),
        ("TEXT/CSV", CSV),
    ],
)
def test_the_accept_header_is_read_with_its_qualities(accept: str, media: str) -> None:
    assert media_for(accept) == media


@pytest.mark.parametrize("accept", ["application/xml", "text/csv;q=0", "application/json;q=0, text/html"])
def test_an_accept_header_offering_nothing_this_api_sends_is_a_406(accept: str) -> None:
    with pytest.raises(ApiError) as refused:
        media_for(accept)
    assert refused.value.status == 406
