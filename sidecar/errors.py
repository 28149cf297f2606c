"""The one place toolkit errors become HTTP: a PostgREST-style body (code, message, details, hint).

Never a stack trace to the client: anything unexpected is logged here and answered with a plain 500.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec
import psycopg
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from sidecar.access_log import printable
from sidecar.grammar import GrammarError
from sidecar.query import UnknownColumn
from toolkit import errors as e
from toolkit.db import is_disconnect

log = logging.getLogger("sidecar.errors")
RETRY_AFTER_S = "2"
UNAVAILABLE = "the database is unavailable; try again shortly"  # which one and why: the server's log only


class ApiError(Exception):
    """An HTTP answer decided by a route (406, 412, ...), in the same shape as every other error."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: str | None = None,
        hint: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details, self.hint, self.headers = details, hint, headers or {}


# Most specific first: the first matching class decides status and code.
TOOLKIT_ERRORS: list[tuple[type[Exception], int, str]] = [
    (e.NotFound, 404, "PGRST116"),
    (e.DuplicateEmail, 409, "23505"),
    (e.StaleVersion, 409, "40001"),
    (e.Overdraft, 409, "23514"),
    (e.AccountClosed, 409, "55000"),
    (e.Conflict, 409, "23505"),
    (e.ValidationFailed, 422, "22023"),
    (e.ReadOnlyField, 422, "428C9"),
    (e.ChangeRefused, 405, "PGRST105"),
    (e.DatabaseUnavailable, 503, "PGRST000"),
]


def body(code: str, message: str, details: str | None = None, hint: str | None = None) -> bytes:
    return msgspec.json.encode({"code": code, "message": message, "details": details, "hint": hint})


def respond(
    status: int, code: str, message: str, details: Any = None, hint: Any = None, **headers: str
) -> Response[bytes]:
    return Response(
        body(code, message, details, hint), status_code=status, media_type="application/json", headers=headers
    )


def from_api_error(request: Request[Any, Any, Any], error: ApiError) -> Response[bytes]:
    return respond(error.status, error.code, error.message, error.details, error.hint, **error.headers)


def from_grammar(request: Request[Any, Any, Any], error: GrammarError) -> Response[bytes]:
    code = "42703" if isinstance(error, UnknownColumn) else "PGRST100"
    return respond(400, code, error.message, error.details, error.hint)


def from_toolkit(request: Request[Any, Any, Any], error: e.QueAccountError) -> Response[bytes]:
    status, code = next(((s, c) for cls, s, c in TOOLKIT_ERRORS if isinstance(error, cls)), (400, "QA400"))
    details = None
    headers: dict[str, str] = {}
    if isinstance(error, e.ValidationFailed):
        details = "; ".join(str(issue) for issue in error.issues)
    if isinstance(error, e.StaleVersion):
        details = f"current version: {error.current}"
        headers["ETag"] = f'"{error.current}"'
    message = str(error)
    if status == 503:
        headers["Retry-After"] = RETRY_AFTER_S
        log.warning("database unavailable: %s", message)  # the URL is masked; the client is told less
        message = UNAVAILABLE
    return respond(status, code, message, details, None, **headers)


def from_http(request: Request[Any, Any, Any], error: HTTPException) -> Response[bytes]:
    details = None
    if isinstance(error, ValidationException) and isinstance(error.extra, list):
        details = "; ".join(f"{x.get('key') or 'body'}: {x.get('message')}" for x in error.extra)
    return respond(
        error.status_code, f"HTTP{error.status_code}", error.detail, details, None, **(error.headers or {})
    )


def from_database(request: Request[Any, Any, Any], error: Exception) -> Response[bytes]:
    """A driver error, as SQLAlchemy wraps it (the session's reads and writes) or bare (the lean reads)."""
    sqlstate = getattr(getattr(error, "orig", error), "sqlstate", None)
    if sqlstate == "57014":
        return respond(
            504,
            "57014",
            "the query ran longer than the statement timeout",
            None,
            "narrow the filters or ask for a smaller page",
        )
    if sqlstate and sqlstate.startswith("22"):  # data exception: a value the database cannot take
        return respond(400, sqlstate, f"invalid value: {e.driver_reason(error)}", None, None)
    if sqlstate and sqlstate.startswith("54"):  # program limit exceeded: a statement asked too much
        return respond(
            400,
            sqlstate,
            "the request asks more of one statement than the database allows",
            None,
            "select fewer columns, or send fewer values",
        )
    if isinstance(error, PoolTimeout) or is_disconnect(error):
        log.warning("database unavailable: %s", e.driver_reason(error))
        return respond(503, "PGRST000", UNAVAILABLE, None, None, **{"Retry-After": RETRY_AFTER_S})
    return from_unexpected(request, error)


def from_unexpected(request: Request[Any, Any, Any], error: Exception) -> Response[bytes]:
    log.exception("unexpected error on %s %s", request.method, printable(request.url.path))
    return respond(500, "QA500", "internal error; the server log has the details")


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    ApiError: from_api_error,
    GrammarError: from_grammar,
    e.QueAccountError: from_toolkit,
    HTTPException: from_http,
    DBAPIError: from_database,
    psycopg.Error: from_database,
    PoolTimeout: from_database,
    Exception: from_unexpected,
}
