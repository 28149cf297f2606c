"""The PATCH routes of a resource: one row by id, or PostgREST's `?id=eq.N`, each through its `Rows`."""

# Annotations stay real objects (no `from __future__ import annotations`): the body type is built from the
# resource's own update Struct, which Litestar reads from the signature for decoding and OpenAPI.

from dataclasses import replace
from typing import Annotated, Any

import msgspec
from litestar import Request, patch
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import Parameter
from litestar.params import JSONBody
from litestar.response.base import ASGIResponse
from msgspec import UNSET, Struct, UnsetType

from sidecar import documented as d
from sidecar.auth import actor
from sidecar.errors import ApiError
from sidecar.grammar import parse_read
from sidecar.http import answerable, conditional, prefers, written
from sidecar.openapi import WRITE, responses
from sidecar.query import values
from sidecar.responses import etag
from sidecar.routes.writes import rows_of
from toolkit.entities import changes_of
from toolkit.resources import Resource

READ_ONLY = Annotated[Any, msgspec.Meta(description="read-only: a change naming it is refused (422)")]


def patch_type(resource: Resource) -> Any:
    """The body of a PATCH: the update Struct, with `version` when the resource has a version column.

    The read-only columns (and the id) are taken too, so that the service refuses them saying why (422),
    rather than the decoder calling them unknown fields."""
    update = resource.update
    assert update is not None
    version = [(resource.version, int | UnsetType, UNSET)] if resource.version else []
    fixed = [
        c for c in ("id", *resource.spec.read_only) if c not in (resource.version, *update.__struct_fields__)
    ]
    return msgspec.defstruct(
        f"{update.__name__.removesuffix('Update')}Patch",
        [*version, *((name, READ_ONLY, UNSET) for name in fixed)],
        bases=(update,),
        kw_only=True,
        forbid_unknown_fields=True,
        omit_defaults=True,
    )


def changed(resource: Resource) -> d.Extra:
    """What a PATCH reads and sends besides its body."""
    extra = d.conditional(resource.version is not None, d.RETURN, ETag=d.ETAG)
    return replace(extra, bare={204: "Changed (with Prefer: return=representation, 200 and the row)"})


def by_id(extra: d.Extra) -> d.Extra:
    """`extra` and the one filter `PATCH /v1/<path>?id=eq.N` takes."""
    only = Parameter(
        name="id",
        param_in="query",
        required=True,
        schema=d.TEXT,
        description="the row: `eq.N`, the one filter accepted",
        example="eq.42",
    )
    return replace(extra, parameters=(only, *extra.parameters))


def changing(resource: Resource, base: str, item: str, key: str) -> list[HTTPRouteHandler]:
    body = patch_type(resource)
    version = resource.version
    conditional_by = '`If-Match: "N"` (412 when stale) or a `version` field (409 when stale)'

    async def change(request: Request[Any, Any, Any], row_id: int, data: Struct) -> ASGIResponse:
        given = changes_of(data)
        body_version = given.pop(version, None) if version else None
        if version is None and request.headers.get("if-match") is not None:
            raise ApiError(
                400,
                "PGRST100",
                f"{resource.path} rows have no version: If-Match cannot make a change conditional",
            )
        answerable(request, 1)
        rows = await rows_of(resource)
        changed: Any = await conditional(
            request, body_version, lambda v: rows.update(row_id, given, actor=actor(request), version=v)
        )
        if prefers(request, "return=representation"):
            return written(request, [changed], None, many=False, status=200)
        return ASGIResponse(
            status_code=204, headers={"ETag": etag(getattr(changed, version))} if version else {}
        )

    @patch(
        item,
        tags=[resource.path],
        summary=f"Change one {resource.name}",
        responses=responses(200, list[resource.entity], *WRITE, 404, 406, 412),  # type: ignore[name-defined]
        description=f"{conditional_by} makes it conditional." if version else None,
        operation_class=d.documented(changed(resource)),
    )
    async def patch_row(request: Request[Any, Any, Any], data: JSONBody[body]) -> ASGIResponse:  # type: ignore[valid-type]
        return await change(request, request.path_params[key], data)

    @patch(
        base,
        tags=[resource.path],
        summary=f"Change one {resource.name}, PostgREST form: ?id=eq.N",
        responses=responses(200, list[resource.entity], *WRITE, 404, 406, 412),  # type: ignore[name-defined]
        operation_class=d.documented(by_id(changed(resource))),
    )
    async def patch_by_filter(request: Request[Any, Any, Any], data: JSONBody[body]) -> ASGIResponse:  # type: ignore[valid-type]
        """Only `id=eq.N` is accepted, so one request never changes many rows by accident."""
        query = parse_read(request.query_params.multi_items())
        only = query.filters[0] if len(query.filters) == 1 else None
        if query.groups or only is None or only.column != "id" or only.operator != "eq" or only.negated:
            raise ApiError(
                400,
                "PGRST100",
                f"PATCH {base} needs exactly one filter, id=eq.N",
                hint=f"PATCH {base}?id=eq.42",
            )
        (row_id,) = values(resource.repository, only)  # typed as the read grammar types it: 400 if no id
        return await change(request, row_id, data)

    return [patch_row, patch_by_filter]
