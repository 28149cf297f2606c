"""A list route's query parameters, as the OpenAPI document lists them: one filter per column with the
operators its type takes (as `sidecar.query` applies them), `or` and `and`, then `select`, `order`, `limit`
and `offset`."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec
from litestar.openapi.spec import Parameter, Schema
from litestar.openapi.spec.enums import OpenAPIType
from sqlalchemy import Column

from sidecar import documented as d
from sidecar.grammar import RESERVED
from sidecar.query import python_type
from toolkit.resources import Resource

ORDERED = ("eq", "neq", "gt", "gte", "lt", "lte")
SAMPLES: dict[type[Any], str] = {
    int: "gt.100",
    Decimal: "gt.100.00",
    datetime: "gte.2025-01-01T00:00:00Z",
    str: "ilike.*example*",
    bool: "is.true",
}


def operators(kind: type[Any]) -> tuple[str, ...]:
    if issubclass(kind, enum.Enum) or kind is bool:
        return ("eq", "neq", "in", "is")
    if kind is str:
        return (*ORDERED, "like", "ilike", "in", "is")
    if kind in (int, Decimal, datetime):
        return (*ORDERED, "in", "is")
    return ("is",)


def examples_of(entity: type[Any]) -> dict[str, Any]:
    """The first `Meta(examples=...)` of each field of an entity Struct."""
    found = {}
    for item in msgspec.inspect.type_info(entity).fields:  # type: ignore[attr-defined]
        info = item.type
        if isinstance(info, msgspec.inspect.Metadata) and (info.extra_json_schema or {}).get("examples"):
            found[item.name] = info.extra_json_schema["examples"][0]  # type: ignore[index]
    return found


def example(col: Column[Any], kind: type[Any], given: Any) -> str:
    if issubclass(kind, enum.Enum):
        return f"eq.{next(iter(kind)).value}"
    if kind is str and given is not None:
        return f"eq.{given}"
    return SAMPLES.get(kind, "not.is.null")


def filter_parameter(col: Column[Any], given: Any) -> Parameter:
    kind = python_type(col)
    fits = operators(kind)
    words = [f"`{o}`" for o in fits]
    values = f" ({', '.join(m.value for m in kind)})" if issubclass(kind, enum.Enum) else ""
    notes = "; `in.(a,b)` takes a list; " if "in" in fits else "; "
    notes += "`is` takes null, true or false; " if kind is bool else "`is` takes null; "
    notes += "`like`/`ilike` take `*` as the wildcard; " if "like" in fits else ""
    return Parameter(
        name=col.key,
        param_in="query",
        schema=Schema(type=OpenAPIType.STRING),
        description=f"filter on {col.key}{values}: [not.]OPERATOR.VALUE, OPERATOR one of {', '.join(words)}"
        f"{notes}`not.` negates any",
        example=example(col, kind, given),
    )


def count(name: str, description: str, example: int) -> Parameter:
    schema = Schema(type=OpenAPIType.INTEGER, minimum=0)
    return Parameter(name=name, param_in="query", schema=schema, description=description, example=example)


def filter_parameters(resource: Resource) -> tuple[Parameter, ...]:
    """A filter per column of the resource (the columns named like a grammar parameter excepted)."""
    given = examples_of(resource.entity)
    return tuple(filter_parameter(c, given.get(c.key)) for c in resource.table.c if c.key not in RESERVED)


def logic(name: str, joined: str, example: str) -> Parameter:
    return Parameter(
        name=name,
        param_in="query",
        schema=Schema(type=OpenAPIType.STRING),
        description=f"filters {joined}, as (COLUMN.OPERATOR.VALUE,...): members may be `not.` or nested "
        f"`and(...)`/`or(...)`; a double-quoted value keeps its commas; `not.{name}=(...)` negates it all",
        example=example,
    )


# Every resource has an id, so these examples are requests every list takes.
LOGIC = (logic("or", "ORed", "(id.eq.1,id.gt.100)"), logic("and", "ANDed", "(id.gt.1,id.lt.100)"))


def list_parameters(resource: Resource) -> tuple[Parameter, ...]:
    """Every query parameter of `GET /v1/<path>`."""
    columns = [c for c in resource.table.c if c.key not in RESERVED]
    names = ",".join(c.key for c in columns[:3])
    newest = next((c.key for c in columns if python_type(c) is datetime), "id")
    return (
        *filter_parameters(resource),
        *LOGIC,
        Parameter(
            name="select",
            param_in="query",
            schema=Schema(type=OpenAPIType.STRING),
            description="the columns to return, comma-separated (`*`: all)",
            example=names,
        ),
        Parameter(
            name="order",
            param_in="query",
            schema=Schema(type=OpenAPIType.STRING),
            description="COLUMN[.asc|.desc][.nullsfirst|.nullslast], comma-separated; id last breaks ties",
            example=f"{newest}.desc",
        ),
        count("limit", "rows per page (at most QUEACCOUNT_MAX_PAGE_SIZE, the default)", 25),
        count("offset", "rows to skip (keyset paging, `id=gt.LAST`, is faster: see the Link header)", 0),
    )


def listed(resource: Resource) -> d.Extra:
    """What `GET /v1/<path>` reads and sends besides the rows."""
    return d.Extra(
        parameters=(*list_parameters(resource), d.RANGE, d.COUNT, d.ACCEPT, d.IF_NONE_MATCH),
        headers={200: d.LISTED, 304: {"ETag": d.ETAG}},
        bare={304: "Not Modified: the If-None-Match ETag still holds"},
        media=True,
    )
