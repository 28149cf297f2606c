"""What each route answers, for the OpenAPI document: the success body's type and every error's body.

Examples come from the types (`msgspec.Meta(examples=...)` in toolkit/entities.py), never made up by Litestar.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Operation
from msgspec import Meta

from sidecar import documented as d
from sidecar.read_params import LOGIC, filter_parameters
from toolkit import resources
from toolkit.entities import Balance, Country, Currency, Email, Id, Moment, Name, Version
from toolkit.models.enums import AccountStatus, Plan, TransactionKind


class ErrorBody(msgspec.Struct):
    """A PostgREST-style error: a code, a message for people, and optional details and hint."""

    code: str
    message: str
    details: str | None = None
    hint: str | None = None


ERRORS = {
    400: "The request does not follow the grammar, or a value is malformed",
    401: "No API key, or an unknown or revoked one",
    403: "The API key may not do this (a read key on a write route)",
    404: "No such row",
    405: "Not allowed for these rows (accounts are closed, never deleted; the ledger is append-only)",
    406: "The Accept header asks for a media type not offered, or for one object but not one row matched",
    409: "A business rule refused the change (overdraft, closed account, duplicate email, stale version)",
    412: "If-Match names a version that is no longer current",
    413: "The request body is too large, or carries more rows than QUEACCOUNT_MAX_WRITE_ROWS",
    415: "The body is not application/json (charset UTF-8 if any)",
    422: "A value the business rules refuse (the details name row and field)",
    503: "The database is unavailable; retry after Retry-After seconds",
    504: "The query ran longer than the statement timeout",
}
READ = (400, 401, 503, 504)
WRITE = (400, 401, 403, 409, 413, 415, 422, 503)


def responses(status: int, body: Any, *errors: int, description: str = "Success") -> dict[int, ResponseSpec]:
    """`responses=` for a route: its success body (`None` for an empty one) and the errors it can answer."""
    documented = (
        {status: ResponseSpec(data_container=body, description=description, generate_examples=False)}
        if body is not None
        else {}
    )
    for code in sorted(set(errors)):
        documented[code] = ResponseSpec(
            data_container=ErrorBody, description=ERRORS[code], generate_examples=False
        )
    return documented


def metrics_operation(path: str, paging: bool = False) -> type[Operation]:
    """`operation_class=` for a metrics route that takes the read filters of the resource at `/v1/<path>`
    and answers JSON, CSV or one object, with an ETag (304 while unchanged); with `paging` (the grouped
    aggregate, which reads its filters as a list does), `or` and `and`, and the Link and X-Limit-Capped
    headers too."""
    resource = resources.at(path)
    assert resource is not None, path
    paged = {"Link": d.LINK, "X-Limit-Capped": d.LIMIT_CAPPED} if paging else {}
    headers = {200: {**paged, "ETag": d.ETAG}, 304: {"ETag": d.ETAG}}
    logic = LOGIC if paging else ()
    parameters = (*filter_parameters(resource), *logic, d.ACCEPT, d.IF_NONE_MATCH)
    unchanged = {304: "Not Modified: nothing was committed since the If-None-Match ETag was sent"}
    return d.documented(d.Extra(parameters, headers, bare=unchanged, media=True))


Count = Annotated[int, Meta(examples=[12])]
Bucket = Annotated[
    datetime, Meta(description="the bucket's first moment, ISO 8601", examples=["2025-03-01T00:00:00Z"])
]


class AccountGroup(msgspec.Struct, kw_only=True):
    """One group of /v1/metrics/accounts: the columns named in group_by, the count and the total balance."""

    count: Count
    total_balance: Balance
    status: AccountStatus | None = None
    plan: Plan | None = None
    country: Country | None = None
    currency: Currency | None = None
    id: Id | None = None
    email: Email | None = None
    full_name: Name | None = None
    balance: Balance | None = None
    created_at: Moment | None = None
    updated_at: Moment | None = None
    version: Version | None = None


class SignupBucket(msgspec.Struct, kw_only=True):
    """One bucket of /v1/metrics/signups: the accounts created in it."""

    bucket: Bucket
    signups: Count


class TransactionBucket(msgspec.Struct, kw_only=True):
    """One bucket of /v1/metrics/transactions (per kind with group_by=kind): postings and their sum."""

    bucket: Bucket
    count: Count
    total: Annotated[Decimal, Meta(description="the sum of the amounts, exact", examples=["310.50"])]
    kind: TransactionKind | None = None
