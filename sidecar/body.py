"""Request bodies: JSON only, decoded exactly and within bounds before a route's types are applied.

Litestar turns the body into the route's `data` type with msgspec; what reaches that step is checked here:
the content type (415), a body that is there (400), JSON in UTF-8 that is well formed and not nested past the
decoder's depth (400), numbers kept exact (a JSON number is a Decimal, never a float), decimal fields written
in ASCII digits (Python's Decimal() also takes `١٢٣` and `1_0`), at most `max_write_rows` rows in one array
(413), and each row of the route's type (400 naming row and field, which Litestar's message leaves out).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec
from litestar import Request
from wireup.integration.asgi import get_request_container

from sidecar.errors import ApiError
from toolkit.errors import ValidationFailed
from toolkit.frames.decimals import non_ascii_numbers
from toolkit.settings import Settings

JSON = "application/json"
BODY_METHODS = frozenset({"POST", "PATCH", "PUT"})
EXACT = msgspec.json.Decoder(float_hook=Decimal)  # JSON numbers with a fraction or exponent: exact


async def require_json(request: Request[Any, Any, Any]) -> None:
    """A write that takes a body (or sends one) must say `application/json`, charset UTF-8 if any: 415."""
    if request.method not in BODY_METHODS:
        return
    takes_body = "data" in request.route_handler.parsed_fn_signature.parameters
    sent = request.headers.get("content-type")
    empty = not await request.body()
    if not takes_body and sent is None and empty:
        return
    media, *params = (part.strip().lower() for part in (sent or "").split(";"))
    charsets = [p.partition("=")[2].strip('"') for p in params if p.startswith("charset=")]
    if media != JSON or any(c not in ("utf-8", "utf8") for c in charsets):
        raise ApiError(
            415,
            "PGRST107",
            f"Content-Type {sent or '(none)'} is not accepted: send {JSON}",
            hint=f"Content-Type: {JSON} (charset=utf-8 if any)",
        )
    if takes_body and empty:
        raise ApiError(400, "PGRST102", "the body is empty: send a JSON object, or an array of them")


def decode(raw: bytes, body_type: Any, most_rows: int) -> Any:
    """The body as plain data for `body_type`, or a 400 / 413 / 422 that says what is wrong."""
    try:
        data = EXACT.decode(raw)
    except RecursionError:
        raise ApiError(400, "PGRST102", "the JSON body is nested too deeply") from None
    except msgspec.DecodeError as error:
        raise ApiError(400, "PGRST102", f"the body is not valid JSON: {error}") from None
    except UnicodeDecodeError as error:  # msgspec's, for a string that is not UTF-8
        byte = error.object[error.start]
        raise ApiError(
            400, "PGRST102", f"the body is not UTF-8: a string in it holds byte 0x{byte:02x}"
        ) from None
    rows = data if isinstance(data, list) else [data]
    if len(rows) > most_rows:
        raise ApiError(
            413,
            "54000",
            f"{len(rows)} rows in one request; at most {most_rows} (QUEACCOUNT_MAX_WRITE_ROWS)",
            hint="send the rows in batches, or post large frames from a notebook with the bulk path, "
            "qa.transactions.post_frame(frame) (qa.accounts.insert_frame(frame) for accounts)",
        )
    issues = non_ascii_numbers(body_type, rows, list(range(len(rows))) if isinstance(data, list) else [None])
    if issues:
        raise ValidationFailed(issues)
    try:
        msgspec.convert(data, body_type, strict=False)  # as Litestar will, to name the row it fails at
    except msgspec.ValidationError as error:
        raise ApiError(400, "PGRST102", f"invalid body: {where(error)}") from None
    return data


def where(error: msgspec.ValidationError) -> str:
    """msgspec's `Expected int, got str - at $[1].account_id` as `row 1, field 'account_id': Expected ...`."""
    reason, _, at = str(error).partition(" - at `")
    row, _, field = at.removesuffix("`").removeprefix("$").partition(".")
    named = [f"row {row[1:-1]}" if row.startswith("[") else "", f"field {field!r}" if field else ""]
    return f"{', '.join(filter(None, named)) or 'body'}: {reason}"


class JsonRequest(Request[Any, Any, Any]):
    """Litestar's request, with `json()` decoding as above (Litestar calls it for a route's `data`)."""

    async def json(self) -> Any:
        data_field = self.route_handler.parsed_fn_signature.parameters["data"]
        settings = await get_request_container().get(Settings)
        return decode(await self.body(), data_field.annotation, settings.max_write_rows)
