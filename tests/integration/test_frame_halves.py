"""Large frame() reads run as two COPYs at once (ids below and from the middle of the id span) on two
connections sharing one snapshot. Forced here on small tables by lowering the split threshold."""

from __future__ import annotations

import psycopg
import pytest

from tests.conftest import libpq
from toolkit.frames import read
from toolkit.models import Account


@pytest.fixture
def halves(monkeypatch):
    """Count the COPYs each read runs, with the split forced from two ids up."""
    monkeypatch.setattr(read, "SPLIT_SPAN", 1)
    calls: list[int] = []
    collect = read._collect

    async def counted(conn, session, table, query, progress):
        calls.append(1)
        return await collect(conn, session, table, query, progress)

    monkeypatch.setattr(read, "_collect", counted)
    return calls


def test_a_read_in_halves_equals_the_read_in_one(seeded, halves, monkeypatch):
    whole = seeded.accounts.frame()
    filtered = seeded.accounts.frame(Account.balance > 200, columns=["email", "plan"], as_arrow=True)
    assert len(halves) == 4  # both reads were split
    monkeypatch.setattr(read, "SPLIT_SPAN", 10**12)
    assert whole.equals(seeded.accounts.frame())
    assert filtered.equals(
        seeded.accounts.frame(Account.balance > 200, columns=["email", "plan"], as_arrow=True)
    )
    assert whole["id"].tolist() == [1, 2, 3, 4, 5] and len(halves) == 6  # one COPY each


def test_reads_in_another_order_or_limited_are_not_split(seeded, halves):
    assert seeded.accounts.frame(order_by="-id")["id"].tolist() == [5, 4, 3, 2, 1]
    assert seeded.accounts.frame(limit=2)["id"].tolist() == [1, 2]
    assert len(halves) == 2


def test_both_halves_see_one_snapshot(seeded, halves, monkeypatch, database_url):
    """A change committed after the read began is in neither half, even when it lands before the second
    half's COPY starts."""
    collect = read._collect
    change = [
        "update accounts set full_name = 'Changed', version = version + 1 where id = 5",
        "insert into accounts (email, full_name, country) values ('late@example.com', 'Late', 'DE')",
    ]

    async def commit_in_between(conn, session, table, query, progress):
        if len(halves) == 1:  # the upper half, second to start: commit a change to its rows first
            async with await psycopg.AsyncConnection.connect(libpq(database_url), autocommit=True) as other:
                for statement in change:
                    await other.execute(statement)
        return await collect(conn, session, table, query, progress)

    monkeypatch.setattr(read, "_collect", commit_in_between)
    df = seeded.accounts.frame()
    assert len(halves) == 2
    assert df["id"].tolist() == [1, 2, 3, 4, 5] and df.set_index("id").loc[5, "full_name"] == "Ed"
    monkeypatch.setattr(read, "_collect", collect)
    after = seeded.accounts.frame().set_index("id")
    assert after.loc[5, "full_name"] == "Changed" and after.loc[6, "email"] == "late@example.com"


def test_a_read_in_many_small_blocks_equals_the_read_in_one(seeded, monkeypatch):
    """Each block is parsed while the next one arrives: small blocks give the same frame, in order."""
    one = seeded.accounts.frame()
    monkeypatch.setattr(read, "BLOCK_ROWS", 2)
    many = seeded.accounts.frame()
    assert many.equals(one) and many["email"].tolist() == [f"user{i}@example.com" for i in range(5)]
    chunks = list(seeded.accounts.iter_frames(chunk_rows=1))
    assert [c["email"].iloc[0] for c in chunks] == many["email"].tolist()
