"""Postings in bulk: many transactions in frame order, all or nothing, checked and posted set-based."""

from __future__ import annotations

import pandas as pd
from sqlalchemy.ext.asyncio import AsyncSession

from toolkit.db import UnitOfWork
from toolkit.errors import Issue, ValidationFailed
from toolkit.frames import copy_in, write
from toolkit.frames.plan import Report, issue_list
from toolkit.frames.validate import Issues, check_frame
from toolkit.retry import retry_transient
from toolkit.services.posting_rules import POSTINGS

CHECK = """
WITH locked AS (
    SELECT a.id, a.status, a.balance FROM accounts a
    WHERE a.id IN (SELECT DISTINCT account_id FROM qa_post) ORDER BY a.id FOR UPDATE
), running AS (
    SELECT p.ord, p.account_id, l.id IS NULL AS missing, l.status = 'closed' AS closed,
           l.balance + sum(p.amount) OVER (PARTITION BY p.account_id ORDER BY p.ord) AS after
    FROM qa_post p LEFT JOIN locked l ON l.id = p.account_id
)
SELECT ord, account_id, missing, closed, after FROM running
WHERE missing OR closed OR after < 0 ORDER BY ord LIMIT 1000
"""

POST = """
WITH balances AS (
    SELECT p.ord, a.balance + sum(p.amount) OVER (PARTITION BY p.account_id ORDER BY p.ord) AS after
    FROM qa_post p JOIN accounts a ON a.id = p.account_id
), ins AS (
    INSERT INTO transactions (account_id, kind, amount, description, occurred_at)
    SELECT account_id, kind, amount, description, coalesce(occurred_at, now()) FROM qa_post ORDER BY ord
    RETURNING id, account_id, kind, amount
), numbered AS (
    SELECT ins.*, row_number() OVER (ORDER BY ins.id) - 1 AS ord FROM ins
)
INSERT INTO audit_log (actor, action, entity, entity_id, changes)
SELECT %(actor)s, 'post', 'transaction', n.id, jsonb_build_object(
    'account_id', jsonb_build_object('old', null, 'new', n.account_id),
    'kind', jsonb_build_object('old', null, 'new', n.kind),
    'amount', jsonb_build_object('old', null, 'new', n.amount::text),
    'balance', jsonb_build_object('old', (b.after - n.amount)::text, 'new', b.after::text))
FROM numbered n JOIN balances b ON b.ord = n.ord
RETURNING entity_id
"""


@retry_transient
async def post_frame(uow: UnitOfWork, session: AsyncSession, frame: pd.DataFrame, actor: str) -> Report:
    """Post every row in frame order; refused whole if any row is invalid, closed or would overdraw."""
    issues = Issues()
    clean = check_frame(frame, POSTINGS, issues, inserting=True)
    found = issues.frame()
    if len(found):
        refuse_issues(found)
    rows = clean.reindex(columns=list(POSTINGS.editable))
    labels = list(rows.index)
    async with uow.atomic():
        columns = write.temp_columns(POSTINGS, list(rows.columns), {"ord": "bigint"})
        await copy_in.copy_into_temp(session, "qa_post", columns, rows.assign(ord=range(len(rows))))
        bad = await copy_in.fetch(session, CHECK)
        if bad:
            refuse_issues(issues_of(bad, labels))
        # The insert moves the balances: the ledger's trigger, once per account, at the statement's end.
        ids = await copy_in.fetch(session, POST, {"actor": actor})
    return Report("transaction", inserted=len(ids), updated=0, unchanged=0, ids=[r[0] for r in ids])


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
