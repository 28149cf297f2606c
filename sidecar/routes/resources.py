"""/v1/<path> for every resource: PostgREST-style reads here, writes through its service (routes/writes.py).

`routes_for(resource)` builds the routes its declaration allows (toolkit/resources): the list and one row
always; POST when rows are created; PATCH when they change (conditional on the version column, if any);
DELETE when they are deleted, or POST /{id}/close when they are closed instead.
"""

# Annotations stay real objects (no `from __future__ import annotations`): each handler's body and response
# types are the resource's own Structs, which Litestar reads from the signature for decoding and OpenAPI.

from typing import Any

from litestar import Request, get
from litestar.handlers import HTTPRouteHandler
from litestar.response.base import ASGIResponse
from wireup import Injected
from wireup.integration.asgi import inject

from sidecar import documented as d
from sidecar.grammar import Filter
from sidecar.openapi import READ, responses
from sidecar.read_params import listed
from sidecar.reads import read
from sidecar.responses import one_row_response
from sidecar.routes.patches import changing
from sidecar.routes.writes import closing, creating, deleting
from toolkit.entities import ApiKey
from toolkit.errors import NotFound
from toolkit.models.enums import KeyScope
from toolkit.reads import Reads
from toolkit.resources import Resource, registered
from toolkit.settings import Settings


def hidden_from(request: Request[Any, Any, Any], resource: Resource) -> dict[str, tuple[str, ...]]:
    """The rows this request's key may not read (a read key, on a resource that hides some from it)."""
    key: ApiKey = request.state.api_key
    return {} if key.scope is KeyScope.WRITE else resource.read_key_hides


def unseen(hidden: dict[str, tuple[str, ...]]) -> tuple[Filter, ...]:
    """The hidden rows as filters ANDed to a read (`entity=not.in.(sql)`)."""
    return tuple(Filter(column, "in", values, negated=True) for column, values in hidden.items())


def routes_for(resource: Resource) -> list[HTTPRouteHandler]:
    """The routes of one resource, typed by its Structs."""
    base = f"/v1/{resource.path}"
    key = f"{resource.name.replace(' ', '_')}_id"
    item = f"{base}/{{{key}:int}}"
    handlers = [listing(resource, base), one_row(resource, item, key)]
    if resource.create is not None:
        handlers.append(creating(resource, base))
    if resource.update is not None:
        handlers.extend(changing(resource, base, item, key))
    if resource.removal == "delete":
        handlers.append(deleting(resource, item, key))
    if resource.removal == "close":
        handlers.extend(closing(resource, item, key))
    return handlers


def listing(resource: Resource, base: str) -> HTTPRouteHandler:
    entity = resource.entity

    @get(
        base,
        tags=[resource.path],
        summary=f"List {resource.path} (PostgREST grammar)",
        responses=responses(200, list[entity], *READ, 406),  # type: ignore[valid-type]
        operation_class=d.documented(listed(resource)),
    )
    @inject
    async def list_rows(
        request: Request[Any, Any, Any], reads: Injected[Reads], settings: Injected[Settings]
    ) -> ASGIResponse:
        """Filters `column=op.value`, `select`, `order`, `limit`/`offset`/`Range`, `Prefer: count=exact`,
        `Accept: text/csv` or `application/vnd.pgrst.object+json`."""
        return await read(
            request, resource.repository, reads, settings, always=unseen(hidden_from(request, resource))
        )

    return list_rows


def one_row(resource: Resource, item: str, key: str) -> HTTPRouteHandler:
    version = resource.version

    @get(
        item,
        tags=[resource.path],
        summary=f"One {resource.name}" + (", with its version as ETag" if version else ""),
        responses=responses(200, resource.entity, *READ, 404, 406),
        operation_class=d.documented(d.one_row(version is not None)),
    )
    @inject
    async def get_row(
        request: Request[Any, Any, Any], reads: Injected[Reads], settings: Injected[Settings]
    ) -> ASGIResponse:
        """`If-None-Match` with the current ETag answers 304 Not Modified (rows with a version)."""
        row = await reads.get(resource.repository, request.path_params[key])
        if any(str(row[column]) in values for column, values in hidden_from(request, resource).items()):
            raise NotFound(resource.name, request.path_params[key])  # as if absent: not this key's to see
        headers = request.headers
        tag = headers.get("if-none-match", "")
        return one_row_response(row, headers.get("accept", ""), tag, version, settings.cache_max_age_s)

    return get_row


def every_resource() -> list[HTTPRouteHandler]:
    """The routes of every registered resource."""
    return [handler for resource in registered() for handler in routes_for(resource)]
