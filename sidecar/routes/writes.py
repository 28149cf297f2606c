"""The write routes of a resource (POST, DELETE, POST /close), each through its `Rows`; PATCH: patches.py."""

# Annotations stay real objects (no `from __future__ import annotations`): the body types are the resource's
# own Structs, which Litestar reads from the signature for decoding and OpenAPI.

from typing import Any

from litestar import Request, delete, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import JSONBody
from litestar.response.base import ASGIResponse
from wireup.integration.asgi import get_request_container

from sidecar import documented as d
from sidecar.auth import actor
from sidecar.errors import ApiError
from sidecar.http import answerable, conditional, written
from sidecar.openapi import ERRORS, WRITE, ErrorBody, responses
from toolkit.errors import DeleteRefused
from toolkit.resources import Resource
from toolkit.services.rows import Rows


async def rows_of(resource: Resource) -> Rows:
    return await Rows.of(get_request_container(), resource)


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
            406,
            description="Created (the rows with Prefer: return=representation)",
        ),
        operation_class=d.documented(
            d.Extra(parameters=(d.RETURN,), headers={201: {"Location": d.LOCATION}})
        ),
    )
    async def create_rows(
        request: Request[Any, Any, Any],
        data: JSONBody[create | list[create]],  # type: ignore[valid-type]
    ) -> ASGIResponse:
        """`Prefer: return=representation` returns the rows; otherwise 201 with Location."""
        many = isinstance(data, list)
        items: list[Any] = data if isinstance(data, list) else [data]
        answerable(request, len(items))
        created = await (await rows_of(resource)).create_many(items, actor=actor(request), many=many)
        location = f"{base}/{created[0].id}" if created else None  # type: ignore[attr-defined]
        return written(request, created, location, many)

    return create_rows


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
        responses=responses(200, resource.entity, *WRITE, 404, *((412,) if resource.version else ())),
        operation_class=d.documented(d.conditional(resource.version is not None)),
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
        responses=responses(405, ErrorBody, 400, 401, 403, description=ERRORS[405]),
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
