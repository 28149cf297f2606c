"""The frames the write cases send: built before the clock starts, the same for every case of a group."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy.engine import URL

WRITTEN = ["id", "email", "full_name", "status", "plan", "country", "currency"]
NEXT_PLAN = {"free": "pro", "pro": "business", "business": "free"}


def new_accounts(count: int, start: int = 0) -> pd.DataFrame:
    """`count` new accounts (no id), emails new<i>@example.com."""
    i = pd.Series(np.arange(start, start + count)).astype("string")
    return pd.DataFrame(
        {
            "email": "new" + i + "@example.com",
            "full_name": "New " + i,
            "status": pd.Categorical(["active"] * count, categories=["active", "suspended", "closed"]),
            "plan": pd.Categorical(
                np.array(["free", "pro", "business"])[np.arange(count) % 3],
                categories=["free", "pro", "business"],
            ),
            "country": pd.Series(np.array(["DE", "FR", "NL", "PL"])[np.arange(count) % 4], dtype="string"),
            "currency": pd.Series(np.array(["EUR", "USD"])[np.arange(count) % 2], dtype="string"),
        }
    )


def edited_frame(url: URL, rows: int) -> pd.DataFrame:
    """Half of `rows` existing open accounts read with frame() and edited (plan and name), half new."""
    import toolkit

    half = rows // 2
    with toolkit.connect(url, actor="bench", progress=False) as qa:
        existing = qa.accounts.frame(status=["active", "suspended"], order_by="id", limit=half)
    existing["plan"] = existing["plan"].map(NEXT_PLAN).astype(existing["plan"].dtype)
    existing["full_name"] = existing["full_name"] + " Jr."
    new = new_accounts(rows - half)
    new.insert(0, "id", pd.array([pd.NA] * len(new), dtype="Int64"))
    return pd.concat([existing, new], ignore_index=True)


def plain_arrow(frame: pd.DataFrame) -> object:
    """The frame as an Arrow table of plain types (ADBC's ingest takes no dictionaries)."""
    import pyarrow as pa

    table = pa.Table.from_pandas(frame, preserve_index=False)
    fields = table.schema
    plain = [pa.field(f.name, pa.string() if pa.types.is_dictionary(f.type) else f.type) for f in fields]
    return table.cast(pa.schema(plain))
