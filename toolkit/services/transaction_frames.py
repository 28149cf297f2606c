"""Postings in bulk: many transactions in frame order, all or nothing, checked and posted set-based.

Concurrent posts queue and never deadlock. A frame of up to BULK_ROWS postings locks its accounts in id order
first, as every other posting of several accounts does, holding the posting lock (a transaction-level
advisory lock) shared. A larger frame holds the posting lock alone instead: it waits for the postings of
several accounts in flight and they wait for it, so it needs no lock pass over its accounts (which took
more than a second at a million postings), and its own UPDATE of the balances may take them in any order.
One INSERT ... SELECT
writes the ledger; the database's statement trigger moves every touched balance in one set-based UPDATE
and refuses closed accounts, the foreign key refuses unknown ones, and `balance >= 0` an overdrawn end.
Then one statement reads the moved balances back (locked: nobody else can move them), works out each
posting's running balance by a window over its account, refuses the frame if any falls below zero on the
way, and otherwise writes one audit row per posting (in id order). When the INSERT itself is refused,
everything is rolled back and a second transaction checks the rows one by one against the locked balances
before posting them, so the error names each bad row, field and reason (or, when others changed the
accounts meanwhile, the frame is posted). No savepoint around the INSERT: updating rows locked by the outer
transaction from a subtransaction makes a MultiXact per row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import psycopg
from sqlalchemy.ext.asyncio import AsyncSession

from toolkit.db import UnitOfWork
from toolkit.errors import Issue, ValidationFailed
from toolkit.frames import copy_in, write
from toolkit.frames.plan import Report, issue_list
from toolkit.frames.validate import Issues, check_frame
from toolkit.mixins.queries import posting_lock
from toolkit.models import TransactionModel
from toolkit.retry import retry_transient
from toolkit.services.posting_rules import POSTINGS

# Frames of more postings than this take the posting lock alone instead of locking their accounts first.
BULK_ROWS = 10_000
LOCK = """
SELECT count(*) FROM (
    SELECT a.id FROM accounts a WHERE a.id IN (SELECT account_id FROM qa_post) ORDER BY a.id FOR UPDATE
) locked
"""

INSERT = """
INSERT INTO transactions (id, account_id, kind, amount, description, occurred_at)
SELECT id, account_id, kind, amount, description, coalesce(occurred_at, now()) FROM qa_post
"""

# The frame's running balance per account, from the balance the INSERT's trigger left: `after` of a posting is
# the end balance less every later posting of its account in the frame (one sort, one window). The audit rows
# go in id order, so the audit log's (entity, entity_id) index is appended to, not written all over.
AUDIT = """
WITH running AS MATERIALIZED (
    SELECT p.id, p.ord, p.account_id, p.kind, p.amount,
           a.balance - coalesce(sum(p.amount) OVER (
               PARTITION BY p.account_id ORDER BY p.ord ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING
           ), 0) AS after
    FROM qa_post p JOIN accounts a ON a.id = p.account_id
), overdrawn AS (
    SELECT ord, account_id, false AS missing, false AS closed, after FROM running
    WHERE after < 0 ORDER BY ord LIMIT 1000
), audited AS (
    INSERT INTO audit_log (actor, action, entity, entity_id, changes)
    SELECT %(actor)s, 'post', 'transaction', id,
           ('{"account_id":{"old":null,"new":' || account_id || '},"kind":{"old":null,"new":"' || kind
            || '"},"amount":{"old":null,"new":"' || amount || '"},"balance":{"old":"' || (after - amount)
            || '","new":"' || after || '"}}')::jsonb
    FROM running WHERE NOT EXISTS (SELECT FROM overdrawn) ORDER BY id
)
SELECT * FROM overdrawn
"""

# The same rules checked row by row before the INSERT, against balances locked (in id order) for it: when
# the optimistic INSERT was refused, this names the bad rows, or finds none when others' postings or edits
# changed the accounts meanwhile, and the frame is posted.
CHECK = """
WITH locked AS (
    SELECT a.id, a.status, a.balance FROM accounts a
    WHERE a.id IN (SELECT account_id FROM qa_post) ORDER BY a.id FOR UPDATE
), running AS (
    SELECT p.ord, p.account_id, l.id IS NULL AS missing, l.status = 'closed' AS closed,
           l.balance + sum(p.amount) OVER (PARTITION BY p.account_id ORDER BY p.ord ROWS UNBOUNDED PRECEDING)
           AS after
    FROM qa_post p LEFT JOIN locked l ON l.id = p.account_id
)
SELECT ord, account_id, missing, closed, after FROM running
WHERE missing OR closed OR after < 0 ORDER BY ord LIMIT 1000
"""

# What the database refuses a posting with: an unknown account (foreign key), a closed one (the trigger's
# check) or an overdrawn end balance (`balance >= 0`).
REFUSED = (psycopg.errors.ForeignKeyViolation, psycopg.errors.CheckViolation)


@retry_transient
async def post_frame(uow: UnitOfWork, session: AsyncSession, frame: pd.DataFrame, actor: str) -> Report:
    """Post every row in frame order; refused whole if any row is invalid, closed or would overdraw."""
    issues = Issues()
    clean = check_frame(frame, POSTINGS, issues, inserting=True)
    found = issues.frame()
    if len(found):
        refuse_issues(found)
    rows = clean.reindex(columns=list(POSTINGS.editable))
    try:
        return await post_rows(uow, session, rows, actor, check_first=False)
    except REFUSED:
        return await post_rows(uow, session, rows, actor, check_first=True)


async def post_rows(
    uow: UnitOfWork, session: AsyncSession, rows: pd.DataFrame, actor: str, *, check_first: bool
) -> Report:
    """Post checked rows in one transaction; `check_first` checks each row against the locked balances
    before the INSERT (else the database's refusal of the INSERT is raised as it is)."""
    labels = list(rows.index)
    async with uow.atomic():
        await copy_in.bulk_connection(session)  # drawing a million ids materialises a million-row series
        ids = await copy_in.reserve_ids(session, TransactionModel.__table__, len(rows))  # type: ignore[arg-type]
        columns = write.temp_columns(POSTINGS, list(rows.columns), {"ord": "bigint", "id": "bigint"})
        await copy_in.copy_into_temp(
            session, "qa_post", columns, rows.assign(ord=np.arange(len(rows)), id=ids)
        )
        bulk = len(rows) > BULK_ROWS and not check_first
        await posting_lock(session, alone=bulk)
        bad = await copy_in.fetch(session, CHECK if check_first else LOCK) if not bulk else []
        if check_first and bad:
            refuse_issues(issues_of(bad, labels))
        await copy_in.fetch(session, INSERT)
        bad = await copy_in.fetch(session, AUDIT, {"actor": actor})
        if bad:
            refuse_issues(issues_of(bad, labels))
    return Report("transaction", inserted=len(ids), updated=0, unchanged=0, ids=ids.tolist())


def issues_of(bad: list[tuple[object, ...]], labels: list[object]) -> list[Issue]:
    out = []
    for ord_, account_id, missing, closed, after in bad:
        label = labels[int(ord_)]  # type: ignore[call-overload]
        if missing:
            out.append(Issue(label, "account_id", f"account {account_id} does not exist"))
        elif closed:
            out.append(Issue(label, "account_id", f"account {account_id} is closed"))
        else:
            out.append(
                Issue(label, "amount", f"would take account {account_id}'s balance to {after} (overdraft)")
            )
    return out


def refuse_issues(issues: pd.DataFrame | list[Issue]) -> None:
    if isinstance(issues, pd.DataFrame):
        issues = issue_list(issues)
    raise ValidationFailed(issues)
