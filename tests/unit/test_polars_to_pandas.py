"""A polars frame handed to diff()/insert_frame() becomes the pandas frame frame() would have given."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pandas as pd
import polars as pl
import pyarrow as pa

from toolkit.frames.polars import is_polars, to_pandas


def test_polars_types_become_the_frame_dtypes():
    frame = pl.DataFrame(
        {
            "id": [1, 2],
            "maybe": [1, None],
            "balance": pl.Series([Decimal("1.25"), None], dtype=pl.Decimal(14, 2)),
            "plan": pl.Series(["pro", "free"], dtype=pl.Enum(["free", "pro", "business"])),
            "email": ["a@example.com", None],
            "at": [datetime(2026, 1, 1, tzinfo=UTC), None],
            "ok": [True, None],
        }
    )
    df = to_pandas(frame)
    assert [str(t) for t in df.dtypes[["id", "maybe", "ok"]]] == ["int64", "Int64", "boolean"]
    assert df["balance"].dtype == pd.ArrowDtype(pa.decimal128(14, 2)) and df["balance"][0] == Decimal("1.25")
    assert df["plan"].dtype == pd.CategoricalDtype(["free", "pro", "business"])  # unordered, as frame() gives
    assert isinstance(df["email"].dtype, pd.StringDtype) and df["email"].isna().tolist() == [False, True]
    assert str(df["at"].dtype) == "datetime64[us, UTC]"


def test_a_pandas_frame_passes_through_untouched():
    df = pd.DataFrame({"id": [1]})
    assert to_pandas(df) is df and not is_polars(df) and is_polars(pl.DataFrame())
