"""The write routes of a resource (POST, PATCH, DELETE, POST /close), each through its `Rows`."""

# Annotations stay real objects (no `from __future__ import annotations`): the body types are the resource's
# own Structs, which Litestar reads from the signature for decoding and OpenAPI.

from typing import Any

import msgspec
from litestar import Request, delete, patch, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import JSONBody
from litestar.response.base import ASGIResponse
from msgspec import UNSET, Struct, UnsetType
from wireup.integration.asgi import get_request_container

from sidecar.auth import actor
from sidecar.errors import ApiError
from sidecar.grammar import parse_read
from sidecar.http import conditional, prefers, written
from sidecar.openapi import ERRORS, WRITE, ErrorBody, responses
from sidecar.query import values
from sidecar.responses import etag
from toolkit.entities import changes_of
from toolkit.errors import DeleteRefused
from toolkit.resources import Resource
from toolkit.services.rows import Rows


async def rows_of(resource: Resource) -> Rows:
    return await Rows.of(get_request_container(), resource)


def patch_type(resource: Resource) -> Any:
    """The body of a PATCH: the update Struct, with `version` when the resource has a version column."""
    update = resource.update
    assert update is not None
    if resource.version is None:
        return update
    return msgspec.defstruct(
        f"{update.__name__.removesuffix('Update')}Patch",
        [(resource.version, int | UnsetType, UNSET)],
        bases=(update,),
        kw_only=True,
        forbid_unknown_fields=True,
        omit_defaults=True,
    )


def creating(resource: Resource, base: str) -> HTTPRouteHandler:
    create = resource.create

    @post(
        base,
        tags=[resource.path],
        summary=f"Create one {resource.name} or several (all or nothing)",
        responses=responses(
            201,
            list[resource.entity],  # type: ignore[name-defined]
            *WRITE,
            404,
            description="Created (the rows with Prefer: return=representation)",
        ),
    )
    async def create_rows(
        request: Request[Any, Any, Any],
        data: JSONBody[create | list[create]],  # type: ignore[valid-type]
    ) -> ASGIResponse:
        """`Prefer: return=representation` returns the rows; otherwise 201 with Location."""
        many = isinstance(data, list)
        items: list[Any] = data if isinstance(data, list) else [data]
        created = await (await rows_of(resource)).create_many(items, actor=actor(request), many=many)
        location = f"{base}/{created[0].id}" if created else None  # type: ignore[attr-defined]
        return written(request, created, location, many)

    return create_rows


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
        responses=responses(200, list[resource.entity], *WRITE, 404, 412),  # type: ignore[name-defined]
        description=f"{conditional_by} makes it conditional." if version else None,
    )
    async def patch_row(request: Request[Any, Any, Any], data: JSONBody[body]) -> ASGIResponse:  # type: ignore[valid-type]
        return await change(request, request.path_params[key], data)

    @patch(
        base,
        tags=[resource.path],
        summary=f"Change one {resource.name}, PostgREST form: ?id=eq.N",
        responses=responses(200, list[resource.entity], *WRITE, 404, 412),  # type: ignore[name-defined]
    )
    async def patch_by_filter(request: Request[Any, Any, Any], data: JSONBody[body]) -> ASGIResponse:  # type: ignore[valid-type]
        """Only `id=eq.N` is accepted, so one request never changes many rows by accident."""
        query = parse_read(request.query_params.multi_items())
        only = query.filters[0] if len(query.filters) == 1 else None
        if only is None or only.column != "id" or only.operator != "eq" or only.negated:
            raise ApiError(
                400,
                "PGRST100",
                f"PATCH {base} needs exactly one filter, id=eq.N",
                hint=f"PATCH {base}?id=eq.42",
            )
        (row_id,) = values(resource.repository, only)  # typed as the read grammar types it: 400 if no id
        return await change(request, row_id, data)

    return [patch_row, patch_by_filter]


def deleting(resource: Resource, item: str, key: str) -> HTTPRouteHandler:
    @delete(
        item,
        tags=[resource.path],
        status_code=204,
        summary=f"Delete one {resource.name}",
        responses=responses(204, None, *WRITE, 404),
    )
    async def delete_row(request: Request[Any, Any, Any]) -> None:
        """Audited with the row's last values."""
        await (await rows_of(resource)).delete(request.path_params[key], actor=actor(request))

    return delete_row


def closing(resource: Resource, item: str, key: str) -> list[HTTPRouteHandler]:
    @post(
        f"{item}/close",
        tags=[resource.path],
        status_code=200,
        summary=f"Close {resource.name} for good",
        responses=responses(200, resource.entity, *WRITE, 404),
    )
    async def close_row(request: Request[Any, Any, Any]) -> Any:
        """A closed row cannot be reopened; `If-Match` makes the close conditional."""
        rows = await rows_of(resource)
        row_id = request.path_params[key]
        return await conditional(request, None, lambda v: rows.close(row_id, actor=actor(request), version=v))

    @delete(
        item,
        tags=[resource.path],
        status_code=405,
        summary=f"Refused: {resource.path} are closed, never deleted",
        responses=responses(405, ErrorBody, 401, 403, description=ERRORS[405]),
    )
    async def refuse_delete(request: Request[Any, Any, Any]) -> None:
        """Never deleted: POST .../close instead."""
        try:
            await (await rows_of(resource)).delete(request.path_params[key], actor=actor(request))
        except DeleteRefused as refused:
            raise ApiError(
                405, "PGRST105", str(refused), hint=f"POST {item.replace(':int', '')}/close closes it"
            ) from None

    return [close_row, refuse_delete]
