"""Polars frames: the read path's Arrow buffers shared (not copied), the same types and cells as pandas, and
the same edits written from pandas and from polars leaving the same tables and the same Report."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pandas as pd
import polars as pl
import psycopg
import pyarrow as pa
import pytest

from tests.conftest import TABLES, libpq
from toolkit.errors import MissingExtra, ValidationFailed
from toolkit.frames.read import polars_frame
from toolkit.models import Account

MOMENTS = ("created_at", "updated_at", "occurred_at", "at")  # when a row was written: differs between runs


def cell(value: Any) -> Any:
    """A pandas cell as the Python value polars gives for it."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, dict):
        return json.dumps(value, separators=(", ", ": "))
    return value.item() if hasattr(value, "item") else value


def pandas_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: cell(v) for k, v in row.items()} for row in frame.to_dict("records")]


def same_cells(pandas: pd.DataFrame, polars: pl.DataFrame) -> None:
    assert list(pandas.columns) == polars.columns
    rows = polars.rows(named=True)
    if "changes" in polars.columns:  # JSON is its text in polars: compared as the data it holds
        rows = [r | {"changes": json.dumps(json.loads(r["changes"]), separators=(", ", ": "))} for r in rows]
    assert pandas_rows(pandas) == rows


def addresses(data: pa.Table, name: str) -> list[list[int]]:
    return [[b.address for b in chunk.buffers() if b is not None] for chunk in data.column(name).chunks]


def test_polars_frames_share_the_buffers_the_read_produced(seeded):
    arrow = seeded.accounts.frame(as_arrow=True)
    data = pa.concat_tables([arrow, arrow])  # two chunks, as a read of several blocks gives
    frame = polars_frame(data, Account.__table__)
    assert frame.n_chunks("all") == [2] * frame.width  # rechunk=False: no chunk joined (that would copy)
    back = frame.to_arrow()  # exported through the C data interface, which copies nothing
    for name in ("id", "balance", "created_at", "version"):
        assert addresses(back, name) == addresses(data, name), name
    # Text keeps its character data: polars' string views point into the read's own value buffers.
    views = frame.to_arrow(compat_level=pl.CompatLevel.newest()).column("email")
    assert views.type == pa.string_view()
    [[*_, chars], _] = addresses(data, "email")
    assert chars in {b.address for chunk in views.chunks for b in chunk.buffers()[2:]}
    assert frame.equals(pl.concat([seeded.accounts.frame(as_polars=True)] * 2))


def test_polars_frames_have_the_faithful_types_and_the_cells_of_pandas(seeded):
    frame = seeded.accounts.frame(as_polars=True)
    assert frame.schema["id"] == pl.Int64 and frame.schema["version"] == pl.Int64
    assert frame.schema["balance"] == pl.Decimal(14, 2)
    assert frame["balance"].sum() == Decimal("1501.25")  # exact, never float
    assert frame.schema["created_at"] == pl.Datetime("us", "UTC")
    assert frame.schema["plan"] == pl.Enum(["free", "pro", "business"])
    assert frame.schema["email"] == pl.String
    for table in (seeded.accounts, seeded.transactions, seeded.audit):
        same_cells(table.frame(), table.frame(as_polars=True))
    audit = seeded.audit.frame(as_polars=True)
    assert audit.schema["last_entity_id"] == pl.Int64 and audit["last_entity_id"].null_count() > 0
    assert seeded.transactions.frame(as_polars=True)["description"].null_count() == 5


def test_empty_and_streamed_polars_reads_keep_the_types(seeded):
    empty = seeded.accounts.frame(country="ZZ", as_polars=True)
    assert empty.height == 0 and empty.schema == seeded.accounts.frame(as_polars=True).schema
    chunks = list(seeded.transactions.iter_frames(chunk_rows=2, as_polars=True))
    assert [c.height for c in chunks] == [2, 2, 1]
    assert pl.concat(chunks).equals(seeded.transactions.frame(as_polars=True))


def test_as_arrow_and_as_polars_together_are_refused(seeded):
    with pytest.raises(ValidationFailed, match="not both"):
        seeded.accounts.frame(as_arrow=True, as_polars=True)


def state(qa) -> dict[str, pd.DataFrame]:
    """Every row the toolkit keeps, without the moments they were written."""
    tables = {"accounts": qa.accounts, "transactions": qa.transactions, "audit": qa.audit}
    return {name: t.frame().drop(columns=list(MOMENTS), errors="ignore") for name, t in tables.items()}


def reset(database_url) -> None:
    with psycopg.connect(libpq(database_url), autocommit=True) as conn:
        conn.execute("set session_replication_role = replica")
        conn.execute(f"truncate {TABLES} restart identity cascade")


def seed(qa, make) -> None:
    qa.accounts.insert_frame(
        make(
            {
                "email": [f"user{i}@example.com" for i in range(4)],
                "full_name": ["Ada", "Bo", "Cy", "Di"],
                "country": ["DE", "DE", "FR", "GB"],
                "plan": ["free", "pro", "business", "pro"],
            }
        )
    )
    postings = {"account_id": [1, 2, 1], "kind": ["deposit"] * 3, "amount": ["100.25", "5", "0.50"]}
    qa.transactions.post_frame(make(postings))


def edited_in_pandas(qa) -> pd.DataFrame:
    df = qa.accounts.frame()
    df.loc[df["id"] == 2, "plan"] = "business"
    df.loc[df["id"] == 3, ["full_name", "country"]] = ["Cyrus", "IT"]
    new = pd.DataFrame({"email": ["new@example.com"], "full_name": ["New"], "country": ["PT"]})
    return pd.concat([df, new], ignore_index=True)


def edited_in_polars(qa) -> pl.DataFrame:
    df = qa.accounts.frame(as_polars=True)
    id_ = pl.col("id")
    df = df.with_columns(
        pl.when(id_ == 2).then(pl.lit("business", df.schema["plan"])).otherwise("plan").alias("plan"),
        pl.when(id_ == 3).then(pl.lit("Cyrus")).otherwise("full_name").alias("full_name"),
        pl.when(id_ == 3).then(pl.lit("IT")).otherwise("country").alias("country"),
    )
    new = pl.DataFrame({"email": ["new@example.com"], "full_name": ["New"], "country": ["PT"]})
    return pl.concat([df, new], how="diagonal_relaxed")


def test_the_same_edits_from_pandas_and_from_polars_write_the_same(qa, database_url):
    seed(qa, pd.DataFrame)
    report = qa.accounts.diff(edited_in_pandas(qa)).apply()
    written = state(qa)
    reset(database_url)
    seed(qa, pl.DataFrame)
    polars_plan = qa.accounts.diff(edited_in_polars(qa))
    assert sorted(polars_plan.updates[["id", "column", "old", "new"]].itertuples(index=False, name=None)) == [
        (2, "plan", "pro", "business"),
        (3, "country", "FR", "IT"),
        (3, "full_name", "Cy", "Cyrus"),
    ]
    assert polars_plan.apply() == report and (report.inserted, report.updated) == (1, 2)
    for name, frame in state(qa).items():
        pd.testing.assert_frame_equal(frame, written[name], obj=name)
    assert written["accounts"].set_index("id").loc[1, "balance"] == Decimal("100.75")


def test_a_stale_polars_frame_is_a_conflict_as_a_pandas_one_is(seeded):
    stale = seeded.accounts.frame(as_polars=True)
    seeded.transactions.post(1, "deposit", "1.00")  # moves account 1's version
    edited = stale.with_columns(pl.lit("Renamed").alias("full_name"))
    polars_plan = seeded.accounts.diff(edited)
    pandas_plan = seeded.accounts.diff(edited.to_pandas().assign(full_name="Renamed"))
    assert polars_plan.conflicts["id"].tolist() == pandas_plan.conflicts["id"].tolist() == [1]
    assert len(polars_plan.updates) == len(pandas_plan.updates) == 4


def test_bad_polars_frames_are_refused_naming_row_and_column_as_pandas_ones_are(qa):
    rows = {"email": ["a@example.com", "b@example.com"], "full_name": ["A", "B"], "country": ["DE", "XX"]}
    for make in (pd.DataFrame, pl.DataFrame):
        with pytest.raises(ValidationFailed) as refused:
            qa.accounts.insert_frame(make(rows | {"plan": ["pro", "gold"]}))
        assert {(i.row, i.field) for i in refused.value.issues} == {(1, "country"), (1, "plan")}
    assert len(qa.accounts.frame()) == 0


def test_without_polars_installed_as_polars_says_how_to_install_it(seeded, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "polars", None)  # what `import polars` meets when it is not installed
    with pytest.raises(MissingExtra, match=r"pip install 'queaccount\[polars\]'"):
        seeded.accounts.frame(as_polars=True)
    assert len(seeded.accounts.frame()) == 5  # pandas reads need no polars


@pytest.mark.parametrize(
    ("thing", "said"),
    [
        (pl.DataFrame({"email": ["l@example.com"]}).lazy(), "got polars LazyFrame: pass frame.collect()"),
        (pl.Series(["l@example.com"]), "got polars Series"),
    ],
    ids=["LazyFrame", "Series"],
)
def test_polars_objects_that_are_no_dataframe_are_named(qa, thing, said):
    with pytest.raises(ValidationFailed, match=said):
        qa.accounts.insert_frame(thing)
    assert len(qa.accounts.frame()) == 0
