"""/v1/accounts: PostgREST-style reads, and writes through AccountService (audited, version-checked)."""

from __future__ import annotations

from typing import Any

from litestar import Request, delete, get, patch, post
from litestar.params import FromPath, JSONBody
from litestar.response.base import ASGIResponse
from msgspec import UNSET, UnsetType
from wireup import Injected
from wireup.integration.asgi import inject

from sidecar.auth import actor
from sidecar.errors import ApiError
from sidecar.grammar import parse_read
from sidecar.http import conditional, prefers, written
from sidecar.openapi import ERRORS, READ, WRITE, ErrorBody, responses
from sidecar.query import values
from sidecar.reads import read
from sidecar.responses import etag, one_row_response
from toolkit.entities import Account, AccountCreate, AccountUpdate, changes_of
from toolkit.reads import Reads
from toolkit.repositories import AccountRepository
from toolkit.services import AccountService
from toolkit.settings import Settings

TAGS = ["accounts"]


class AccountPatch(AccountUpdate, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """The fields to change; `version` (or an If-Match header) makes the change conditional."""

    version: int | UnsetType = UNSET


@get(
    "/v1/accounts",
    tags=TAGS,
    summary="List accounts (PostgREST grammar)",
    responses=responses(200, list[Account], *READ, 406),
)
@inject
async def list_accounts(
    request: Request[Any, Any, Any], reads: Injected[Reads], settings: Injected[Settings]
) -> ASGIResponse:
    """Filters `column=op.value`, `select`, `order`, `limit`/`offset`/`Range`, `Prefer: count=exact`,
    `Accept: text/csv` or `application/vnd.pgrst.object+json`."""
    return await read(request, AccountRepository, reads, settings)


@get(
    "/v1/accounts/{account_id:int}",
    tags=TAGS,
    summary="One account, with its version as ETag",
    responses=responses(200, Account, *READ, 404),
)
@inject
async def get_account(
    request: Request[Any, Any, Any], account_id: FromPath[int], reads: Injected[Reads]
) -> ASGIResponse:
    """`If-None-Match` with the current ETag answers 304 Not Modified."""
    account = await reads.get(AccountRepository, account_id)
    headers = request.headers
    return one_row_response(account, headers.get("accept", ""), headers.get("if-none-match", ""))


@post(
    "/v1/accounts",
    tags=TAGS,
    summary="Create one account or several (all or nothing)",
    responses=responses(
        201, list[Account], *WRITE, description="Created (the rows with Prefer: return=representation)"
    ),
)
@inject
async def create_accounts(
    request: Request[Any, Any, Any],
    data: JSONBody[AccountCreate | list[AccountCreate]],
    service: Injected[AccountService],
) -> ASGIResponse:
    """`Prefer: return=representation` returns the rows; otherwise 201 with Location."""
    many = isinstance(data, list)
    created = await service.create_many(data if isinstance(data, list) else [data], actor=actor(request))
    return written(request, created, f"/v1/accounts/{created[0].id}" if created else None, many)


async def change(
    request: Request[Any, Any, Any], account_id: int, data: AccountPatch, service: AccountService
) -> ASGIResponse:
    body_version = None if data.version is UNSET else data.version
    changes = {k: v for k, v in changes_of(data).items() if k != "version"}
    account = await conditional(
        request, body_version, lambda v: service.update(account_id, changes, actor=actor(request), version=v)
    )
    if prefers(request, "return=representation"):
        return written(request, [account], None, many=False, status=200)
    return ASGIResponse(status_code=204, headers={"ETag": etag(account.version)})


@patch(
    "/v1/accounts/{account_id:int}",
    tags=TAGS,
    summary="Change one account",
    responses=responses(200, list[Account], *WRITE, 404, 412),
)
@inject
async def patch_account(
    request: Request[Any, Any, Any],
    account_id: FromPath[int],
    data: JSONBody[AccountPatch],
    service: Injected[AccountService],
) -> ASGIResponse:
    """`If-Match: "N"` (412 when stale) or a `version` field (409 when stale) makes it conditional."""
    return await change(request, account_id, data, service)


@patch(
    "/v1/accounts",
    tags=TAGS,
    summary="Change one account, PostgREST form: ?id=eq.N",
    responses=responses(200, list[Account], *WRITE, 404, 412),
)
@inject
async def patch_account_by_filter(
    request: Request[Any, Any, Any], data: JSONBody[AccountPatch], service: Injected[AccountService]
) -> ASGIResponse:
    """Only `id=eq.N` is accepted, so one request never changes many accounts by accident."""
    query = parse_read(request.query_params.multi_items())
    only = query.filters[0] if len(query.filters) == 1 else None
    if only is None or only.column != "id" or only.operator != "eq" or only.negated:
        raise ApiError(
            400,
            "PGRST100",
            "PATCH /v1/accounts needs exactly one filter, id=eq.N",
            hint="PATCH /v1/accounts?id=eq.42",
        )
    (account_id,) = values(AccountRepository, only)  # typed as the read grammar types it: a 400 if not an id
    return await change(request, account_id, data, service)


@post(
    "/v1/accounts/{account_id:int}/close",
    tags=TAGS,
    status_code=200,
    summary="Close an account for good",
    responses=responses(200, Account, *WRITE, 404),
)
@inject
async def close_account(
    request: Request[Any, Any, Any], account_id: FromPath[int], service: Injected[AccountService]
) -> Account:
    """A closed account cannot be reopened; `If-Match` makes the close conditional."""
    return await conditional(
        request, None, lambda v: service.close(account_id, actor=actor(request), version=v)
    )


@delete(
    "/v1/accounts/{account_id:int}",
    tags=TAGS,
    status_code=405,
    summary="Refused: accounts are closed",
    responses=responses(405, ErrorBody, 401, 403, description=ERRORS[405]),
)
@inject
async def delete_account(
    request: Request[Any, Any, Any], account_id: FromPath[int], service: Injected[AccountService]
) -> None:
    """Accounts are never deleted: POST /v1/accounts/{id}/close instead."""
    await service.delete(account_id, actor=actor(request))


ROUTES = [
    list_accounts,
    get_account,
    create_accounts,
    patch_account,
    patch_account_by_filter,
    close_account,
    delete_account,
]
