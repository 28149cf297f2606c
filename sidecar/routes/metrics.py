"""/v1/metrics: curated aggregates for dashboards (bare arrays, ISO timestamps, CSV too)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get
from litestar.params import QueryParameter
from litestar.response.base import ASGIResponse
from wireup import Injected
from wireup.integration.asgi import inject

from sidecar import caching
from sidecar.grammar import GrammarError, ReadQuery, parse_read
from sidecar.openapi import READ, AccountGroup, SignupBucket, TransactionBucket, metrics_operation, responses
from sidecar.query import Repository, UnknownColumn, column, conditions
from sidecar.reads import next_link, page_size
from sidecar.responses import rows_response, wanted
from sidecar.times import asked, bucket_of, moment, zone
from toolkit.db import UnitOfWork
from toolkit.reads import Reads
from toolkit.repositories import AccountRepository, TransactionRepository
from toolkit.services import MetricsService
from toolkit.settings import Settings

TAGS = ["metrics"]
FROM = QueryParameter(
    name="from", description="first bucket: ISO date or timestamp (in tz unless it says), or epoch s or ms"
)
TO = QueryParameter(name="to", description="last bucket, included: as from, e.g. ${__to} from Grafana")
TZ = QueryParameter(
    description="IANA zone whose hours, days, weeks and months the buckets are; UTC if absent"
)
BUCKET = QueryParameter(description="hour, day, week or month")
LIMIT = QueryParameter(description="groups per page (at most QUEACCOUNT_MAX_PAGE_SIZE, the default)")
OFFSET = QueryParameter(description="groups to skip")


def series_read(request: Request[Any, Any, Any], repository: Repository, *known: str) -> ReadQuery:
    """The filters of a series route, its own parameters (`known`) kept aside. Any other name that is not a
    column is refused: a misspelt parameter would otherwise be ignored, and select, order, limit and offset
    mean nothing to a series, which answers every bucket from `from` to `to`."""
    columns = list(repository.model_table().c.keys())
    unknown = sorted(set(request.query_params) - set(known) - set(columns))
    if unknown:
        raise GrammarError(
            f"{request.url.path} takes no parameter {unknown[0]!r}",
            hint=f"its parameters: {', '.join(known)}, and filters on {', '.join(columns)}",
        )
    return parse_read(request.query_params.multi_items(), extra=known)


@get(
    "/v1/metrics/accounts",
    tags=TAGS,
    summary="Account count and total balance per group",
    responses=responses(200, list[AccountGroup], *READ),
    operation_class=metrics_operation("accounts", paging=True),
)
@inject
async def account_metrics(
    request: Request[Any, Any, Any],
    metrics: Injected[MetricsService],
    uow: Injected[UnitOfWork],
    settings: Injected[Settings],
    reads: Injected[Reads],
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
    if len(set(groups)) < len(groups):
        twice = next(g for n, g in enumerate(groups) if g in groups[:n])
        raise GrammarError(f"group_by: {twice} is named more than once")
    for name in groups:
        try:
            column(AccountRepository, name)
        except UnknownColumn as error:
            raise UnknownColumn(f"group_by={group_by}: {error.message}") from None
    headers: dict[str, str] = {}
    most = page_size(query.limit, settings, headers)
    where, media = conditions(AccountRepository, query), wanted(request)
    tag = await caching.current_tag(request, reads)
    if (unchanged := caching.not_modified(request, tag, settings)) is not None:
        return unchanged
    await uow.limit_statement_time(settings.statement_timeout_ms)
    rows = await metrics.accounts_by(groups, *where, limit=most, offset=query.offset)
    if len(rows) == most:
        headers["Link"] = next_link(request, query, most, None)
    columns = [*groups, "count", "total_balance"]
    return rows_response(rows, columns, media, headers=headers | caching.headers(tag, settings))


@get(
    "/v1/metrics/signups",
    tags=TAGS,
    summary="New accounts per hour, day, week or month",
    responses=responses(200, list[SignupBucket], *READ),
    operation_class=metrics_operation("accounts"),
)
@inject
async def signup_metrics(
    request: Request[Any, Any, Any],
    metrics: Injected[MetricsService],
    uow: Injected[UnitOfWork],
    settings: Injected[Settings],
    reads: Injected[Reads],
    bucket: Annotated[str, BUCKET] = "day",
    start: Annotated[str | None, FROM] = None,
    end: Annotated[str | None, TO] = None,
    tz: Annotated[str | None, TZ] = None,
) -> ASGIResponse:
    """`bucket=hour|day|week|month&from=2025-01-01&to=2025-01-31&tz=Europe/Berlin` and any filter on the
    accounts (e.g. `plan=eq.pro`); every bucket is present, empty ones as 0, its start with tz's offset."""
    read = series_read(request, AccountRepository, "bucket", "from", "to", "tz")
    where, local, unit, media = (
        conditions(AccountRepository, read),
        zone(tz),
        bucket_of(bucket),
        wanted(request),
    )
    first, last = moment("from", start, local), moment("to", end, local)
    tag = await caching.current_tag(request, reads, (first, last, local.key))
    if (unchanged := caching.not_modified(request, tag, settings)) is not None:
        return unchanged
    await uow.limit_statement_time(settings.statement_timeout_ms)
    with asked():
        rows = await metrics.signups(unit, first, last, settings.max_page_size, tz=local.key, where=where)
    return rows_response(rows, ["bucket", "signups"], media, headers=caching.headers(tag, settings))


@get(
    "/v1/metrics/transactions",
    tags=TAGS,
    summary="Posting count and sum per bucket (and kind)",
    responses=responses(200, list[TransactionBucket], *READ),
    operation_class=metrics_operation("transactions"),
)
@inject
async def transaction_metrics(
    request: Request[Any, Any, Any],
    metrics: Injected[MetricsService],
    uow: Injected[UnitOfWork],
    settings: Injected[Settings],
    reads: Injected[Reads],
    bucket: Annotated[str, BUCKET] = "day",
    group_by: Annotated[
        str | None, QueryParameter(description="kind: one series per kind of posting")
    ] = None,
    start: Annotated[str | None, FROM] = None,
    end: Annotated[str | None, TO] = None,
    tz: Annotated[str | None, TZ] = None,
) -> ASGIResponse:
    """`bucket=hour|day|week|month&group_by=kind&from=...&to=...&tz=...` and any filter on the postings
    (e.g. `account_id=eq.42`)."""
    read = series_read(request, TransactionRepository, "bucket", "group_by", "from", "to", "tz")
    if group_by not in (None, "", "kind"):
        raise GrammarError(f"group_by={group_by}: not one of kind (transactions are grouped by kind only)")
    by_kind = group_by == "kind"
    where, local = conditions(TransactionRepository, read), zone(tz)
    unit, media = bucket_of(bucket), wanted(request)
    first, last = moment("from", start, local), moment("to", end, local)
    tag = await caching.current_tag(request, reads, (first, last, local.key))
    if (unchanged := caching.not_modified(request, tag, settings)) is not None:
        return unchanged
    await uow.limit_statement_time(settings.statement_timeout_ms)
    with asked():
        rows = await metrics.transactions_per(
            unit, first, last, by_kind, settings.max_page_size, tz=local.key, where=where
        )
    columns = ["bucket", *(["kind"] if by_kind else []), "count", "total"]
    return rows_response(rows, columns, media, headers=caching.headers(tag, settings))


ROUTES = [account_metrics, signup_metrics, transaction_metrics]
