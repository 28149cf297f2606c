from __future__ import annotations

import asyncio
from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pytest

import toolkit
from toolkit.errors import DatabaseUnavailable, ReadOnlyQuery
from toolkit.models import Account


def test_frame_types_are_faithful(seeded):
    df = seeded.accounts.frame()
    assert str(df["id"].dtype) == "int64" and str(df["version"].dtype) == "int64"
    assert df["balance"].dtype == pd.ArrowDtype(pa.decimal128(14, 2))
    assert df["balance"].sum() == Decimal("1501.25")  # exact, never float
    assert str(df["created_at"].dtype) == "datetime64[us, UTC]"
    assert isinstance(df["plan"].dtype, pd.CategoricalDtype)
    assert list(df["plan"].cat.categories) == ["free", "pro", "business"]
    assert isinstance(df["email"].dtype, pd.StringDtype)
    tx = seeded.transactions.frame()
    assert tx["description"].isna().all() and isinstance(tx["description"].dtype, pd.StringDtype)


def test_filters_conditions_columns_order_and_limit(seeded):
    df = seeded.accounts.frame(
        Account.balance > 200, plan=["pro", "business"], columns=["id", "email", "plan"]
    )
    assert list(df.columns) == ["id", "email", "plan"]
    assert sorted(df["id"]) == [2, 3, 4]
    top = seeded.accounts.frame(order_by="-balance", limit=2)
    assert list(top["id"]) == [5, 4]
    assert len(seeded.accounts.frame(country="ZZ")) == 0


def test_as_arrow_and_iter_frames(seeded):
    table = seeded.accounts.frame(as_arrow=True)
    assert isinstance(table, pa.Table) and table.num_rows == 5
    chunks = list(seeded.transactions.iter_frames(chunk_rows=2))
    assert [len(c) for c in chunks] == [2, 2, 1]
    assert pd.concat(chunks)["id"].tolist() == seeded.transactions.frame()["id"].tolist()


def test_sql_binds_values_and_is_read_only_unless_asked(seeded):
    df = seeded.sql("select id, balance from accounts where country = :c order by id", c="DE")
    assert df["id"].tolist() == [1, 2] and df["balance"].tolist() == [Decimal("100.25"), Decimal("200.25")]
    hostile = "DE' or '1'='1"
    assert len(seeded.sql("select id from accounts where country = :c", c=hostile)) == 0
    with pytest.raises(ReadOnlyQuery, match="write=True"):
        seeded.sql("with gone as (delete from audit_log returning 1) select count(*) from gone")
    assert len(seeded.audit.frame()) > 0
    seeded.sql("update accounts set full_name = 'Renamed' where id = :id", write=True, id=1)
    assert seeded.accounts.get(1).full_name == "Renamed"
    assert seeded.audit.frame(action="sql")["actor"].tolist() == ["test:analyst"]


def test_nullable_integers_stay_integers_in_sql_results(seeded):
    df = seeded.sql("select * from (values (1), (null)) as t(n)")
    assert str(df["n"].dtype) == "Int64" and df["n"].isna().sum() == 1


def test_calls_work_inside_a_running_event_loop(seeded):
    async def notebook_cell():
        return seeded.accounts.frame(limit=1)  # a plain sync call, as in Jupyter

    assert len(asyncio.run(notebook_cell())) == 1


async def test_async_twins(database_url):
    qa = await toolkit.connect_async(database_url, actor="test:async")
    try:
        account = await qa.accounts.create(email="async@example.com", full_name="A", country="NL")
        frame = await qa.accounts.frame(id=account.id)
        assert frame["email"].tolist() == ["async@example.com"]
    finally:
        await qa.close()


def test_single_rows_display_readably(qa):
    account = qa.accounts.create(email="Single@Example.com", full_name="Single", country="es")
    assert account.email == "single@example.com" and account.country == "ES"
    html = account._repr_html_()
    assert "single@example.com" in html and "<table>" in html
    posted = qa.transactions.post(account.id, "deposit", "10.00")
    assert "deposit" in posted._repr_html_()
    updated = qa.accounts.update(account.id, version=2, plan="pro")
    assert updated.version == 3
    assert qa.accounts.close(account.id).status == "closed"


def test_unreachable_database_is_a_clear_error_with_the_url_masked(tmp_path):
    qa = toolkit.connect("postgresql://analyst:hunter2-secret@127.0.0.1:1/nowhere", progress=False)
    try:
        with pytest.raises(DatabaseUnavailable, match="unreachable") as caught:
            qa.accounts.frame()
        assert "hunter2-secret" not in str(caught.value) and "***" in str(caught.value)
        assert "hunter2-secret" not in repr(qa)
    finally:
        qa.close()


@pytest.mark.parametrize(
    "write",
    [
        lambda qa: qa.accounts.create(email="w@example.com", full_name="W", country="DE"),
        lambda qa: qa.accounts.insert_frame(pd.DataFrame({"email": ["w@example.com"], "full_name": "W"})),
        lambda qa: qa.sql("UPDATE accounts SET plan = 'pro'", write=True),
    ],
    ids=["create", "insert_frame", "sql write"],
)
def test_a_first_write_to_an_unreachable_database_is_the_same_clear_error(write):
    # A process's first write checks that the database is at head before it writes: that check must fail
    # as the toolkit's error too, not as SQLAlchemy's OperationalError.
    qa = toolkit.connect("postgresql://analyst:hunter2-secret@127.0.0.1:1/nowhere", progress=False)
    try:
        with pytest.raises(DatabaseUnavailable, match="unreachable") as caught:
            write(qa)
        assert "hunter2-secret" not in str(caught.value) and "***" in str(caught.value)
    finally:
        qa.close()
