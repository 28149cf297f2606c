"""Reads of more rows than one COPY block: every row once, in order, and errors mid-stream surface."""

from __future__ import annotations

import pytest

from toolkit.errors import DatabaseError
from toolkit.frames import read
from toolkit.models import Account

ROWS = 2_500


@pytest.fixture
def many(qa):
    qa.sql(
        "insert into accounts (email, full_name, country)"
        " select 'u' || i || '@example.com', 'U ' || i, 'DE' from generate_series(1, :n) as i",
        write=True,
        n=ROWS,
    )
    qa.sql(
        "insert into transactions (account_id, kind, amount) select i, 'deposit', i / 100.0"
        " from generate_series(1, :n) as i",
        write=True,
        n=ROWS,
    )
    return qa


def test_reads_spanning_many_blocks_keep_every_row_in_order(many, monkeypatch):
    monkeypatch.setattr(read, "BLOCK_ROWS", 1_000)
    df = many.accounts.frame(order_by="id")
    assert df["id"].tolist() == list(range(1, ROWS + 1))
    assert df["email"].iloc[-1] == f"u{ROWS}@example.com" and str(df["balance"].iloc[-1]) == "25.00"
    assert many.accounts.frame(as_arrow=True).num_rows == ROWS
    chunks = list(many.accounts.iter_frames(order_by="id", chunk_rows=1_000))
    assert [len(c) for c in chunks] == [1_000, 1_000, 500]
    assert chunks[2]["id"].tolist() == list(range(2_001, ROWS + 1))


def test_an_error_in_the_middle_of_a_read_is_raised_and_the_next_read_works(many):
    fails_at_1500 = (Account.id / (Account.id - 1_500)) >= 0
    with pytest.raises(DatabaseError, match="division by zero"):
        many.accounts.frame(fails_at_1500, order_by="id")
    assert len(many.accounts.frame()) == ROWS
