"""One read of any model with the PostgREST grammar: filters, select, order, page, count, Link to the next."""

from __future__ import annotations

import enum
from collections.abc import Callable, Hashable
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from litestar import Request
from litestar.response.base import ASGIResponse
from sqlalchemy import Select, bindparam, func, select

from sidecar import caching
from sidecar.grammar import Filter, ReadQuery, parse_read
from sidecar.query import Repository, column, condition, is_keyset, ordering, selected, values
from sidecar.responses import OBJECT, rows_response, wanted
from toolkit.reads import Reads
from toolkit.settings import Settings


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
    next offset."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in ("limit", "offset")]
    if last_id is not None and is_keyset(read):
        params = [(k, v) for k, v in params if not (k == "id" and v.startswith("gt."))]
        params.append(("id", f"gt.{last_id}"))
    else:
        params.append(("offset", str(read.offset + limit)))
    params.append(("limit", str(limit)))
    return f'<{request.url.path}?{urlencode(params, safe=".,()*")}>; rel="next"'


def shape(read: ReadQuery) -> tuple[Hashable, ...]:
    """What a read's SQL depends on besides its values: filters without their values, columns, order."""
    filters = tuple(
        (f.column, f.operator, f.negated, len(f.value) if isinstance(f.value, tuple) else f.value)
        if f.operator in ("is", "in")
        else (f.column, f.operator, f.negated)
        for f in read.filters
    )
    return filters, read.select, read.order


def bound(repository: Repository, read: ReadQuery) -> tuple[dict[str, Any], Callable[[], list[Any]]]:
    """The filters' values, checked now, as parameters p0, p1, ... (enums by their value, as PostgreSQL takes
    them), and a builder of the conditions with those parameters in their place, for when the SQL of this
    shape is first compiled."""
    params: dict[str, Any] = {}
    names: list[list[str]] = []
    for item in read.filters:
        names.append([])
        for value in values(repository, item):
            names[-1].append(f"p{len(params)}")
            params[names[-1][-1]] = value.value if isinstance(value, enum.Enum) else value

    def where() -> list[Any]:
        pairs = zip(read.filters, names, strict=True)
        return [condition(repository, item, [bindparam(n) for n in named]) for item, named in pairs]

    return params, where


def page_query(
    repository: Repository, columns: tuple[str, ...], where: list[Any], order: list[Any] | None
) -> Select[Any]:
    table = repository.model_table()
    query = select(*(table.c[name] for name in columns)).where(*where).order_by(*(order or [table.c.id]))
    return query.limit(bindparam("limit")).offset(bindparam("offset"))


def count_query(repository: Repository, where: list[Any]) -> Select[Any]:
    return select(func.count()).select_from(select(repository.model_table()).where(*where).subquery())


async def read(
    request: Request[Any, Any, Any],
    repository: Repository,
    reads: Reads,
    settings: Settings,
    always: tuple[Filter, ...] = (),
) -> ASGIResponse:
    """Answer a GET on a collection: the rows, Content-Range, and Link rel=next when a page is full.

    Filters in `always` are ANDed to the client's, unseen by it (rows its key may not read).
    One statement outside any transaction (two with `Prefer: count=exact`), under the statement timeout; an
    `If-None-Match` naming the answer's current ETag (sidecar/caching.py) is a 304 after one cheap one."""
    if "if-none-match" in request.headers:
        tag = await caching.current_tag(request, reads, always)
        if (unchanged := caching.not_modified(request, tag, settings)) is not None:
            return unchanged
    media = wanted(request)
    query = parse_read(request.query_params.multi_items(), request.headers.get("range"))
    query = replace(query, filters=query.filters + always)
    columns = selected(repository, query)
    fetched = columns if "id" in columns else (*columns, "id")
    params, where = bound(repository, query)
    for order_term in query.order:
        column(repository, order_term.column)  # checked now; the ORDER BY itself is built with the SQL
    headers: dict[str, str] = {}
    limit = page_size(query.limit, settings, headers)
    fetch = min(limit, 2) if media == OBJECT else limit
    key = (repository, shape(query))
    page = {"limit": fetch, "offset": query.offset}
    found, snapshot = await reads.rows_and_snapshot(
        (*key, "page"),
        lambda: page_query(repository, fetched, where(), ordering(repository, query.order)),
        params | page,
    )
    rows = [dict(zip(columns, row, strict=False)) for row in found]  # not the id fetched only for Link
    total = None
    if "count=exact" in request.headers.get("prefer", ""):
        total = await reads.value((*key, "count"), lambda: count_query(repository, where()), params)
    headers["Content-Range"] = content_range(query.offset, len(rows), total)
    headers.update(caching.headers(caching.tag_for(request, snapshot, always), settings))
    more = total is None or query.offset + len(rows) < total
    if media != OBJECT and rows and len(rows) == limit and more:
        headers["Link"] = next_link(request, query, limit, found[-1][fetched.index("id")])
    return rows_response(rows, columns, media, headers=headers)
