"""One read of any model with the PostgREST grammar: filters, select, order, page, count, Link to the next."""

from __future__ import annotations

import enum
from collections.abc import Callable, Hashable, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Any
from urllib.parse import quote_from_bytes

import msgspec
from litestar import Request
from litestar.response.base import ASGIResponse
from sqlalchemy import bindparam

from sidecar import caching, counting, projection
from sidecar.grammar import Filter, Group, ReadQuery, parse_read
from sidecar.logic import leaves
from sidecar.query import Repository, column, is_keyset, tree, values
from sidecar.responses import JSON, OBJECT, Answer, encoded, wanted
from toolkit.reads import Page, Reads
from toolkit.settings import Settings

URI_SAFE = "!$&'()*+,;=:@/?%-._~"  # RFC 3986's characters of a query, and `%` of those already encoded
MAX_PARSED = 2000  # query strings whose parse is kept; more starts afresh
PARSED_LENGTH = 1024  # longer query strings are parsed each time (they would make the kept parses large)
_PARSED: dict[tuple[bytes, str | None], ReadQuery] = {}


def parsed(request: Request[Any, Any, Any]) -> ReadQuery:
    """`parse_read` of the request's query string and Range header, kept per (query string, Range): the same
    text always parses to the same (immutable) read, so a dashboard's repeated poll is parsed once. A refusal
    (GrammarError) is not kept: it is raised again each time."""
    key = (request.scope["query_string"], request.headers.get("range"))
    found = _PARSED.get(key)
    if found is None:
        found = parse_read(request.query_params.multi_items(), key[1])
        if len(key[0]) + len(key[1] or "") <= PARSED_LENGTH:
            if len(_PARSED) >= MAX_PARSED:
                _PARSED.clear()
            _PARSED[key] = found
    return found


def content_range(offset: int, count: int, total: int | None) -> str:
    shown = f"{offset}-{offset + count - 1}" if count else "*"
    return f"{shown}/{'*' if total is None else total}"


def page_size(asked: int | None, settings: Settings, headers: dict[str, str]) -> int:
    """The rows one page returns: as asked, at most `max_page_size` (a larger ask sets X-Limit-Capped)."""
    if asked is not None and asked > settings.max_page_size:
        headers["X-Limit-Capped"] = str(settings.max_page_size)
    return min(asked if asked is not None else settings.max_page_size, settings.max_page_size)


def next_link(request: Request[Any, Any, Any], read: ReadQuery, limit: int, last_id: int | None) -> str:
    """The URL of the next page: keyset (`id=gt.LAST`) when ordered by id and given the last id, else the
    next offset. The request's other parameters are kept as it sent them, but for what a URI cannot hold
    unencoded (`<`, `>`, `"`, a space, ...), percent-encoded: a `>` would end the link's target early."""
    raw = request.scope["query_string"]
    kept = [quote_from_bytes(p, safe=URI_SAFE) for p in raw.split(b"&") if p]
    kept = [p for p in kept if p.partition("=")[0] not in ("limit", "offset")]
    if last_id is not None and is_keyset(read):
        kept = [p for p in kept if not p.startswith("id=gt.")] + [f"id=gt.{last_id}"]
    else:
        kept.append(f"offset={read.offset + limit}")
    return f'<{request.scope["path"]}?{"&".join([*kept, f"limit={limit}"])}>; rel="next"'


@lru_cache(maxsize=512)
def row_type(columns: tuple[str, ...]) -> type[msgspec.Struct] | None:
    """A struct msgspec encodes as the JSON object `dict(zip(columns, row))` is (same keys, same order),
    built from a row's values faster than the dict; None when the names cannot be its fields (not Python
    identifiers, dunders or repeated), and the rows are then dicts."""
    usable = all(c.isidentifier() and not c.startswith("__") for c in columns)
    if not usable or len(set(columns)) != len(columns):
        return None
    return msgspec.defstruct("Row", columns)


def json_rows(got: Sequence[tuple[Any, ...]], columns: list[str]) -> list[Any]:
    """The rows of a JSON array answer, each its first `len(columns)` values (not the id fetched only for
    Link) under those names: structs when `row_type` makes one, else dicts."""
    make = row_type(tuple(columns))
    if make is None:
        return [dict(zip(columns, row, strict=False)) for row in got]
    n = len(columns)
    return [make(*row[:n]) for row in got]


def leaf_shape(f: Filter) -> Hashable:
    """A filter without its values: `is` and the length of an `in` list change the SQL, values do not."""
    if f.operator in ("is", "in"):
        return f.column, f.operator, f.negated, len(f.value) if isinstance(f.value, tuple) else f.value
    return f.column, f.operator, f.negated


def tree_shape(item: Filter | Group) -> Hashable:
    if isinstance(item, Filter):
        return leaf_shape(item)
    return item.kind, item.negated, tuple(tree_shape(m) for m in item.members)


def shape(read: ReadQuery) -> tuple[Hashable, ...]:
    """What a read's SQL depends on besides its values: filters and trees without values, columns, order."""
    return tuple(map(tree_shape, read.terms)), read.select, read.order


def bound(repository: Repository, read: ReadQuery) -> tuple[dict[str, Any], Callable[[], list[Any]]]:
    """The filters' values, checked now, as parameters p0, p1, ... (enums by their value, as PostgreSQL takes
    them), and a builder of the conditions with those parameters in their place, for when the SQL of this
    shape is first compiled."""
    params: dict[str, Any] = {}
    names: list[list[str]] = []
    for item in (*read.filters, *leaves(read.groups)):
        names.append([])
        for value in values(repository, item):
            names[-1].append(f"p{len(params)}")
            params[names[-1][-1]] = value.value if isinstance(value, enum.Enum) else value

    def where() -> list[Any]:
        named = iter(names)
        return [tree(repository, item, lambda _: [bindparam(n) for n in next(named)]) for item in read.terms]

    return params, where


async def read(
    request: Request[Any, Any, Any],
    repository: Repository,
    reads: Reads,
    settings: Settings,
    always: tuple[Filter, ...] = (),
    revalidate: bool = True,
) -> ASGIResponse:
    """Answer a GET on a collection: rows (or groups), Content-Range, and Link rel=next when a page is full.

    Filters in `always` are ANDed to the client's, unseen by it (rows its key may not read).
    One statement outside any transaction (two with `Prefer: count=...`), under the statement timeout; an
    `If-None-Match` naming the answer's current ETag (sidecar/caching.py) is a 304 after one cheap one
    (`revalidate=False`: the caller has found it is not). A request refused (400, 406) is refused whatever
    its If-None-Match says (`*` included), as RFC 9110 asks."""
    media = wanted(request)
    query = parsed(request)
    query = replace(query, filters=query.filters + always)
    found = projection.items(repository, query)
    params, where = bound(repository, query)
    for order_term in query.order:
        column(repository, order_term.column)  # checked now; the ORDER BY itself is built with the SQL
    if projection.aggregating(found):
        projection.grouped_order(repository, found, query.order)
    if revalidate and "if-none-match" in request.headers:
        tag = await caching.current_tag(request, reads, always)
        if (unchanged := caching.not_modified(request, tag, settings)) is not None:
            return unchanged
    headers: dict[str, str] = {}
    limit = page_size(query.limit, settings, headers)
    fetch = min(limit, 2) if media == OBJECT else limit
    key = (repository, shape(query))
    page = {"limit": fetch, "offset": query.offset}
    shared = await reads.page(
        (*key, "page"), lambda: projection.page_query(repository, found, where(), query.order), params | page
    )
    got, columns = shared.rows, [item.key for item in found]
    body = body_of(shared, columns, media)
    unpaged = lambda: projection.unpaged(repository, found, where())  # noqa: E731
    kind = counting.asked(request)
    total = await counting.total(kind, reads, key, unpaged, params, settings.max_page_size)
    headers["Content-Range"] = content_range(query.offset, len(got), total)
    headers.update(caching.headers(caching.tag_for(request, shared.snapshot, always), settings))
    more = kind != "exact" or total is None or query.offset + len(got) < total
    if media != OBJECT and got and len(got) == limit and more:
        last_id = None if projection.aggregating(found) else got[-1][-1]
        headers["Link"] = next_link(request, query, limit, last_id)
    return Answer(body, media=media, headers=headers)


def body_of(page: Page, columns: list[str], media: str) -> bytes:
    """The body of `page`'s rows under `columns` in `media`, encoded once for all the reads that share the
    page (toolkit/collapse.py: the same statement's rows, so the same body)."""
    key = (media, tuple(columns))
    body: bytes | None = page.derived.get(key)
    if body is None:
        if media == JSON:
            rows: list[Any] = json_rows(page.rows, columns)
        else:
            rows = [dict(zip(columns, row, strict=False)) for row in page.rows]  # not the id fetched for Link
        body = page.derived[key] = encoded(rows, columns, media)
    return body
