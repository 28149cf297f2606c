"""/v1/metrics: curated aggregates for dashboards (bare arrays, ISO timestamps, CSV too)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Request, get
from litestar.params import FromQuery, QueryParameter
from litestar.response.base import ASGIResponse
from wireup import Injected
from wireup.integration.asgi import inject

from sidecar.grammar import GrammarError, parse_read
from sidecar.openapi import READ, AccountGroup, SignupBucket, TransactionBucket, responses
from sidecar.query import conditions
from sidecar.reads import next_link, page_size
from sidecar.responses import rows_response, wanted
from toolkit.db import UnitOfWork
from toolkit.repositories import AccountRepository
from toolkit.services import MetricsService
from toolkit.settings import Settings

TAGS = ["metrics"]
FROM = QueryParameter(name="from", description="first bucket: an ISO date or timestamp (UTC unless it says)")
TO = QueryParameter(name="to", description="last bucket, included: an ISO date or timestamp")
LIMIT = QueryParameter(description="groups per page (at most QUEACCOUNT_MAX_PAGE_SIZE, the default)")
OFFSET = QueryParameter(description="groups to skip")


def moment(name: str, raw: str | None) -> datetime | None:
    """A `from`/`to` value: an ISO date or timestamp (UTC when it names no zone)."""
    if raw is None or raw == "":
        return None
    try:
        return datetime.fromisoformat(raw.replace(" ", "+").replace("Z", "+00:00"))
    except ValueError:
        raise GrammarError(f"{name}={raw}: expected an ISO date or timestamp, e.g. 2025-01-31") from None


def only(request: Request[Any, Any, Any], *known: str) -> None:
    """Refuse a query parameter the route does not take: a misspelt one would otherwise be ignored."""
    unknown = sorted(set(request.query_params) - set(known))
    if unknown:
        raise GrammarError(
            f"{request.url.path} takes no parameter {unknown[0]!r}",
            hint=f"its parameters: {', '.join(known)}",
        )


def answer(
    request: Request[Any, Any, Any],
    rows: list[dict[str, Any]],
    columns: list[str],
    headers: dict[str, str] | None = None,
) -> ASGIResponse:
    return rows_response(rows, columns, wanted(request), headers=headers)


@get(
    "/v1/metrics/accounts",
    tags=TAGS,
    summary="Account count and total balance per group",
    responses=responses(200, list[AccountGroup], *READ),
)
@inject
async def account_metrics(
    request: Request[Any, Any, Any],
    metrics: Injected[MetricsService],
    uow: Injected[UnitOfWork],
    settings: Injected[Settings],
    group_by: Annotated[
        str | None, QueryParameter(description="columns to group by, comma-separated, e.g. status,plan")
    ] = None,
    limit: Annotated[str | None, LIMIT] = None,
    offset: Annotated[str | None, OFFSET] = None,
) -> ASGIResponse:
    """`group_by=status,plan` plus any read filter (e.g. `country=eq.DE`); groups come in group_by order,
    a page at a time (`limit`, `offset`; at most QUEACCOUNT_MAX_PAGE_SIZE, with Link rel=next)."""
    query = parse_read(request.query_params.multi_items(), extra=["group_by"])
    if query.select is not None or query.order:
        raise GrammarError(
            f"{request.url.path} takes no select or order: groups come in group_by order",
            hint="its parameters: group_by, limit, offset and filters",
        )
    groups = [g for g in (group_by or "").split(",") if g]
    headers: dict[str, str] = {}
    most = page_size(query.limit, settings, headers)
    await uow.limit_statement_time(settings.statement_timeout_ms)
    where = conditions(AccountRepository, query)
    rows = await metrics.accounts_by(groups, *where, limit=most, offset=query.offset)
    if len(rows) == most:
        headers["Link"] = next_link(request, query, most, None)
    return answer(request, rows, [*groups, "count", "total_balance"], headers)


@get(
    "/v1/metrics/signups",
    tags=TAGS,
    summary="New accounts per day, week or month",
    responses=responses(200, list[SignupBucket], *READ),
)
@inject
async def signup_metrics(
    request: Request[Any, Any, Any],
    metrics: Injected[MetricsService],
    uow: Injected[UnitOfWork],
    settings: Injected[Settings],
    bucket: FromQuery[str] = "day",
    start: Annotated[str | None, FROM] = None,
    end: Annotated[str | None, TO] = None,
) -> ASGIResponse:
    """`bucket=day|week|month&from=2025-01-01&to=2025-01-31`; every bucket is present, empty ones as 0."""
    only(request, "bucket", "from", "to")
    await uow.limit_statement_time(settings.statement_timeout_ms)
    rows = await metrics.signups(bucket, moment("from", start), moment("to", end), settings.max_page_size)
    return answer(request, rows, ["bucket", "signups"])


@get(
    "/v1/metrics/transactions",
    tags=TAGS,
    summary="Posting count and sum per bucket (and kind)",
    responses=responses(200, list[TransactionBucket], *READ),
)
@inject
async def transaction_metrics(
    request: Request[Any, Any, Any],
    metrics: Injected[MetricsService],
    uow: Injected[UnitOfWork],
    settings: Injected[Settings],
    bucket: FromQuery[str] = "day",
    group_by: Annotated[
        str | None, QueryParameter(description="kind: one series per kind of posting")
    ] = None,
    start: Annotated[str | None, FROM] = None,
    end: Annotated[str | None, TO] = None,
) -> ASGIResponse:
    """`bucket=day|week|month&group_by=kind&from=...&to=...`."""
    only(request, "bucket", "group_by", "from", "to")
    if group_by not in (None, "", "kind"):
        raise GrammarError(f"group_by={group_by}: transactions can be grouped by kind only")
    by_kind = group_by == "kind"
    await uow.limit_statement_time(settings.statement_timeout_ms)
    rows = await metrics.transactions_per(
        bucket, moment("from", start), moment("to", end), by_kind=by_kind, most=settings.max_page_size
    )
    return answer(request, rows, ["bucket", *(["kind"] if by_kind else []), "count", "total"])


ROUTES = [account_metrics, signup_metrics, transaction_metrics]
