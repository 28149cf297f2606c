"""Reads of more rows than one COPY block: every row once, in order, and errors mid-stream surface."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from toolkit.errors import DatabaseError
from toolkit.frames import copy_out, read
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


def test_enums_keep_one_category_order_when_each_block_meets_other_values(qa, monkeypatch):
    # Each block parses its enums with a dictionary of the values it met, in the order it met them: here the
    # first block holds only "business", the second "pro" before "free", the last only "pro".
    plans = ["business"] * 1_000 + ["pro", "free"] * 500 + ["pro"] * 500
    qa.sql(
        "insert into accounts (email, full_name, country, plan)"
        " select 'p' || i || '@example.com', 'P ' || i, 'DE', case when i <= 1000 then 'business'"
        " when i <= 2000 then (array['free', 'pro'])[1 + i % 2] else 'pro' end"
        " from generate_series(1, :n) as i",
        write=True,
        n=len(plans),
    )
    monkeypatch.setattr(read, "BLOCK_ROWS", 1_000)
    df = qa.accounts.frame(order_by="id")
    assert list(df["plan"].cat.categories) == ["free", "pro", "business"] and not df["plan"].cat.ordered
    assert df["plan"].tolist() == plans
    assert (df["plan"].cat.codes.tolist()[999:1_002]) == [2, 1, 0]
    table = qa.accounts.frame(order_by="id", as_arrow=True)
    assert table.schema.field("plan").type == pa.large_string() and table["plan"].to_pylist() == plans
    chunks = list(qa.accounts.iter_frames(order_by="id", chunk_rows=1_000))
    assert [c["plan"].dtype for c in chunks] == [df["plan"].dtype] * 3
    assert pd.concat(chunks, ignore_index=True)["plan"].tolist() == plans


TRICKY = [
    None,
    "",
    'say "hi", then leave',
    "two\nlines",
    "carriage\r\nreturn",
    '","',
    "naïve café \u2013 日本語 🧾",
    "e\u0301 combining",
    "\\N and \\. are text",
    " spaced ",
]


def test_text_that_csv_quotes_survives_blocks_and_joins_of_every_size(seeded, monkeypatch):
    # Rows whose cells hold NULL, empty text, quotes, commas, line breaks and multi-byte characters, read
    # in blocks of 7 rows joined every 3: every cell comes back as written, NULL apart from empty text.
    texts = TRICKY * 5
    seeded.sql(
        "insert into transactions (account_id, kind, amount, description)"
        " select 1, 'deposit', n / 100.0, t from unnest(cast(:texts as text[])) with ordinality as u(t, n)",
        write=True,
        texts=texts,
    )
    whole = seeded.transactions.frame(order_by="id")
    monkeypatch.setattr(read, "BLOCK_ROWS", 7)
    monkeypatch.setattr(copy_out, "JOIN_ROWS", 3)
    small = seeded.transactions.frame(order_by="id")
    assert small.equals(whole)
    described = small["description"].iloc[-len(texts) :]
    assert [None if pd.isna(v) else v for v in described] == texts
    assert str(small["amount"].iloc[-1]) == f"{len(texts) / 100:.2f}"
    chunks = list(seeded.transactions.iter_frames(order_by="id", chunk_rows=4))
    assert pd.concat(chunks, ignore_index=True).equals(whole)
