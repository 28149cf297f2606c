"""Small HTTP helpers the routes share: Prefer, If-Match/ETag, and the answer to a write."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from litestar import Request
from litestar.response.base import ASGIResponse

from sidecar.errors import ApiError
from sidecar.grammar import GrammarError, is_count
from sidecar.query import INTEGER
from sidecar.responses import OBJECT, etag, exactly_one, rows_response, wanted
from toolkit.entities import Entity
from toolkit.errors import StaleVersion

T = TypeVar("T")


def prefers(request: Request[Any, Any, Any], preference: str) -> bool:
    """True when the Prefer header asks for `preference` (e.g. `return=representation`)."""
    return any(p.strip() == preference for p in request.headers.get("prefer", "").split(","))


def require_row_ids(request: Request[Any, Any, Any]) -> None:
    """Before every handler: a row id in the path (`/v1/accounts/{account_id}`) is ASCII digits within a
    bigint, as an `id=eq.N` filter's is (Litestar's int converter also takes `1_0`, other scripts' digits
    and any size, which the database would refuse with its own words): 400 naming it."""
    if not request.path_params:
        return
    template = request.scope.get("path_template", "").split("/")
    for part, raw in zip(template, request.scope["path"].split("/"), strict=False):
        name = part[1:-1] if part.startswith("{") else ""
        if isinstance(request.path_params.get(name), int) and not (
            INTEGER.fullmatch(raw) and -(2**63) <= int(raw) < 2**63
        ):
            raise GrammarError(f"{name} {raw!r}: not a row id (ASCII digits, less than 2**63)")


def answerable(request: Request[Any, Any, Any], rows: int) -> None:
    """Before a write: 406 when the client could not take its answer (with `Prefer: return=representation`
    the `rows` written come back in the Accept header's media type, the single-object one for one row
    only), so a refused answer never follows a committed write."""
    if prefers(request, "return=representation") and wanted(request) == OBJECT:
        exactly_one(rows)


def if_match_version(request: Request[Any, Any, Any]) -> int | None:
    """The version an If-Match header names (`"3"` or `W/"3"`), or None without one."""
    raw = request.headers.get("if-match")
    if raw is None:
        return None
    value = raw.strip().removeprefix("W/").strip('"')
    if not is_count(value):
        raise ApiError(400, "PGRST100", f'If-Match: {raw}: expected an ETag this API sent, e.g. "3"')
    return int(value)


async def conditional(
    request: Request[Any, Any, Any], body_version: int | None, change: Callable[[int | None], Awaitable[T]]
) -> T:
    """Run a version-checked change: If-Match wins over a body `version`; stale If-Match answers 412."""
    header_version = if_match_version(request)
    try:
        return await change(header_version if header_version is not None else body_version)
    except StaleVersion as stale:
        if header_version is None:
            raise
        raise ApiError(
            412,
            "40001",
            str(stale),
            f"current version: {stale.current}",
            headers={"ETag": etag(stale.current)},
        ) from None


def written(
    request: Request[Any, Any, Any],
    items: Sequence[Entity],
    location: str | None,
    many: bool,
    status: int = 201,
) -> ASGIResponse:
    """The answer to a write: the rows with `Prefer: return=representation`, else only Location."""
    if prefers(request, "return=representation"):
        rows = [item.to_dict() for item in items]
        columns = list(rows[0]) if rows else []
        return rows_response(rows, columns, wanted(request), status=status)
    headers = {"Location": location} if location and not many else {}
    return ASGIResponse(status_code=status, headers=headers)
