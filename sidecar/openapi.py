"""What each route answers, for the OpenAPI document: the success body's type and every error's body."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.openapi.datastructures import ResponseSpec


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
    406: "The single-object media type was asked for, but not exactly one row matched",
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
        {status: ResponseSpec(data_container=body, description=description)} if body is not None else {}
    )
    for code in sorted(set(errors)):
        documented[code] = ResponseSpec(data_container=ErrorBody, description=ERRORS[code])
    return documented


class AccountGroup(msgspec.Struct, kw_only=True):
    """One group of /v1/metrics/accounts: the grouped columns (as asked in group_by), count and balance."""

    count: int
    total_balance: str
    status: str | None = None
    plan: str | None = None
    country: str | None = None
    currency: str | None = None


class SignupBucket(msgspec.Struct):
    bucket: str
    signups: int


class TransactionBucket(msgspec.Struct, kw_only=True):
    bucket: str
    count: int
    sum: str
    kind: str | None = None
