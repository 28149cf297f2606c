"""/v1/transactions (append-only: read and post, nothing else) and /v1/audit (read-only)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.params import JSONBody
from litestar.response.base import ASGIResponse
from wireup import Injected
from wireup.integration.asgi import inject

from sidecar.auth import actor
from sidecar.grammar import Filter
from sidecar.http import written
from sidecar.openapi import READ, WRITE, responses
from sidecar.reads import read
from toolkit.entities import ApiKey, AuditEntry, Transaction, TransactionCreate
from toolkit.models.enums import KeyScope
from toolkit.reads import Reads
from toolkit.repositories import AuditRepository, TransactionRepository
from toolkit.services import TransactionService
from toolkit.settings import Settings

SQL_ROWS = Filter("entity", "neq", "sql")  # audit rows of qa.sql(..., write=True): write keys only


@get(
    "/v1/transactions",
    tags=["transactions"],
    summary="List transactions (PostgREST grammar)",
    responses=responses(200, list[Transaction], *READ, 406),
)
@inject
async def list_transactions(
    request: Request[Any, Any, Any], reads: Injected[Reads], settings: Injected[Settings]
) -> ASGIResponse:
    """The ledger, filtered and paged like /v1/accounts."""
    return await read(request, TransactionRepository, reads, settings)


@post(
    "/v1/transactions",
    tags=["transactions"],
    summary="Post one transaction or several (all or nothing)",
    responses=responses(201, list[Transaction], *WRITE, 404, description="Posted"),
)
@inject
async def post_transactions(
    request: Request[Any, Any, Any],
    data: JSONBody[TransactionCreate | list[TransactionCreate]],
    service: Injected[TransactionService],
) -> ASGIResponse:
    """Balances move in the same database transaction; an overdraft or a closed account refuses all (409)."""
    many = isinstance(data, list)
    posted = await service.post_many(data if isinstance(data, list) else [data], actor=actor(request))
    return written(request, posted, f"/v1/transactions?id=eq.{posted[0].id}" if posted else None, many)


@get(
    "/v1/audit",
    tags=["audit"],
    summary="The audit log (PostgREST grammar)",
    responses=responses(200, list[AuditEntry], *READ, 406),
)
@inject
async def list_audit(
    request: Request[Any, Any, Any], reads: Injected[Reads], settings: Injected[Settings]
) -> ASGIResponse:
    """Who changed what and when: one row per change made through a service. Rows of `qa.sql(...,
    write=True)` (entity `sql`: statements and their parameters) are shown to write keys only."""
    key: ApiKey = request.state.api_key
    hidden = () if key.scope is KeyScope.WRITE else (SQL_ROWS,)
    return await read(request, AuditRepository, reads, settings, always=hidden)


ROUTES = [list_transactions, post_transactions, list_audit]
