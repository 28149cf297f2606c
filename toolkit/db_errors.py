"""Driver (psycopg) and SQLAlchemy errors as toolkit errors: the one mapping the notebook face uses.

An outage says "unreachable"; a full server says "busy"; anything else the database refused is a
DatabaseError with the database's own first line and SQLSTATE, never a traceback of the driver's.
"""

from __future__ import annotations

import psycopg
from sqlalchemy import exc as sa_exc

from toolkit.db import is_disconnect, is_outage, unreachable
from toolkit.errors import (
    DatabaseBusy,
    DatabaseError,
    Issue,
    QueAccountError,
    ValidationFailed,
    driver_reason,
)

DRIVER_ERRORS = (sa_exc.SQLAlchemyError, psycopg.Error, OSError)
TOO_MANY_CONNECTIONS = "53300"
# A refused connection carries no SQLSTATE (there is no result yet, only libpq's text): these say 53300.
_FULL = ("too many clients already", "too many connections", "remaining connection slots are reserved")
HINTS = {
    "42P01": "the schema may be missing or behind: run qa.migrations.upgrade()",
    "42703": "the schema may be behind: run qa.migrations.upgrade()",
    "57014": "it ran longer than the statement timeout",
}


def sqlstate_of(error: BaseException) -> str | None:
    """The SQLSTATE of a driver error (SQLAlchemy keeps the driver's in `.orig`), if the database sent one."""
    cause = getattr(error, "orig", None) or error
    state = getattr(cause, "sqlstate", None)
    if state is None and any(text in str(cause) for text in _FULL):
        return TOO_MANY_CONNECTIONS
    return state if isinstance(state, str) else None


def toolkit_error(error: BaseException, masked_url: str) -> QueAccountError:
    """The toolkit error to show for `error` (`masked_url`: the database, password hidden)."""
    reason, state = driver_reason(error), sqlstate_of(error)
    if state == TOO_MANY_CONNECTIONS or isinstance(error, sa_exc.TimeoutError):
        code = f" (SQLSTATE {state})" if state else ""
        return DatabaseBusy(f"the database at {masked_url} is busy: {reason}{code}; try again shortly")
    if isinstance(error, OSError) or (is_disconnect(error) and is_outage(state)):
        return unreachable(masked_url, error)
    if isinstance(error, sa_exc.ArgumentError | sa_exc.CompileError | sa_exc.StatementError) and not (
        isinstance(error, sa_exc.DBAPIError)
    ):
        return ValidationFailed(Issue(None, None, f"the query could not be built: {reason}"))
    hint = f"; {HINTS[state]}" if state in HINTS else ""
    code = f" (SQLSTATE {state})" if state else ""
    return DatabaseError(f"the database refused the statement: {reason}{code}{hint}", state)
