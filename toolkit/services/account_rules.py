"""The rules on account fields, defined once: frames check them per column, services a frame of their rows."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import pyarrow as pa

from toolkit.frames.text import INVISIBLE, invisible, matches, outside
from toolkit.frames.validate import FrameSpec
from toolkit.iso import COUNTRIES, CURRENCIES
from toolkit.models import AccountModel

# Any whitespace (Unicode's too, e.g. a no-break space) ends the parts of an address.
EMAIL = r"^[^@\s\p{Z}]+@[^@\s\p{Z}]+\.[^@\s\p{Z}]+$"
MAX_LENGTH = {"email": 320, "full_name": 200}
_COUNTRIES, _CURRENCIES = (pa.array(sorted(codes), pa.string()) for codes in (COUNTRIES, CURRENCIES))


def valid_emails(email: pd.Series) -> pd.Series:
    """Whether each email matches EMAIL, in Arrow's regex engine (Python's `re` per value is 10x slower)."""
    return matches(email, EMAIL)


def account_checks(clean: pd.DataFrame) -> Iterable[tuple[pd.Series, str, str]]:
    for name in ("email", "full_name"):
        if name in clean:
            yield invisible(clean[name]), name, INVISIBLE
            longest = MAX_LENGTH[name]
            yield clean[name].str.len() > longest, name, f"must be at most {longest} characters"
    if "email" in clean:
        email = clean["email"]
        yield email.notna() & ~valid_emails(email), "email", "is not a valid email address"
    if "full_name" in clean:
        yield clean["full_name"].str.len() == 0, "full_name", "must not be blank"
    if "country" in clean:
        yield outside(clean["country"], _COUNTRIES), "country", "is not an ISO 3166-1 alpha-2 code"
    if "currency" in clean:
        yield outside(clean["currency"], _CURRENCIES), "currency", "is not an ISO 4217 currency code"


ACCOUNTS = FrameSpec(
    table=AccountModel.__table__,  # type: ignore[arg-type]
    editable=("email", "full_name", "status", "plan", "country", "currency"),
    read_only=("balance", "version", "created_at", "updated_at"),
    required=("email", "full_name", "country"),
    defaults={"status": "active", "plan": "free", "currency": "EUR"},
    normalise={
        "email": lambda s: s.str.strip().str.lower(),
        "full_name": lambda s: s.str.strip(),
        "country": lambda s: s.str.strip().str.upper(),
        "currency": lambda s: s.str.strip().str.upper(),
    },
    checks=(account_checks,),
    update_guard="t.status <> 'closed'",
    version="version",
    unique=(("email",),),
    read_only_why={
        "balance": "balances move only by posting",
        **{name: "the toolkit keeps it" for name in ("version", "created_at", "updated_at")},
    },
)
