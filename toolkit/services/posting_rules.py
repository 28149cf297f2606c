"""The rules on postings, defined once: `post_frame()` checks them per column, `post()` a frame of its rows.

Money that is not an exact amount of numeric(14, 2) is refused while the column is cast (frames/decimals.py).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from toolkit.frames.validate import FrameSpec
from toolkit.models import TransactionModel


def posting_checks(clean: pd.DataFrame) -> Iterable[tuple[pd.Series, str, str]]:
    if "account_id" in clean:
        yield clean["account_id"] < 1, "account_id", "must be at least 1"
    if "amount" in clean and "kind" in clean:
        amount, kind = clean["amount"], clean["kind"].astype("string")
        yield amount == 0, "amount", "must not be zero"
        yield (
            kind.isin(["deposit", "refund"]) & (amount < 0),
            "amount",
            "must be positive for deposit and refund",
        )
        yield (
            kind.isin(["withdrawal", "fee"]) & (amount > 0),
            "amount",
            "must be negative for withdrawal and fee",
        )
    if "id" in clean:
        yield clean["id"].notna(), "id", "the ledger is append-only: rows with an id were already posted"


POSTINGS = FrameSpec(
    table=TransactionModel.__table__,  # type: ignore[arg-type]
    editable=("account_id", "kind", "amount", "description", "occurred_at"),
    read_only=("created_at",),
    required=("account_id", "kind", "amount"),
    checks=(posting_checks,),
)
