"""Deterministic sample data for demos, loaded set-based in ONE transaction and audited like any write.

Every account opens with a deposit larger than all its later debits together, so each running balance stays
at or above zero, and the stored balance is the sum of the account's transactions.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from toolkit.db import UnitOfWork
from toolkit.repositories import AccountRepository


def h(n: str, salt: int) -> str:
    """A fixed multiplicative hash of `n` in SQL: the same numbers on every machine and PostgreSQL version."""
    return f"((({n}::bigint * {n} % 1000003) * 48271 + {n}::bigint * 2654435761 + {salt}) % 1000003)"


ACCOUNTS = f"""
insert into accounts (email, full_name, status, plan, country, currency, created_at, updated_at)
select 'sample' || lpad(i::text, 6, '0') || '@example.com',
       (array['Ada','Grace','Alan','Edsger','Barbara','Donald','Frances','Ken'])[1 + {h("i", 1)} % 8]
         || ' ' || (array['Lovelace','Hopper','Turing','Dijkstra','Liskov','Knuth','Allen','Thompson'])
         [1 + {h("i", 2)} % 8],
       'active',
       (array['free','free','free','pro','pro','business'])[1 + {h("i", 4)} % 6],
       (array['DE','FR','GB','US','NL','ES','IT','SE','PL','CA'])[1 + {h("i", 5)} % 10],
       (array['EUR','EUR','EUR','USD','GBP'])[1 + {h("i", 6)} % 5],
       timestamptz '2025-01-01 00:00+00' + ({h("i", 7)} % 525600) * interval '1 minute',
       timestamptz '2025-01-01 00:00+00' + ({h("i", 7)} % 525600) * interval '1 minute'
from generate_series(1, :accounts) as g(i)
"""

# Posting k (0-based) of an account: k = 0 opens with more than 40 per later posting; later ones move at most
# 40.00 each, three days apart.
TRANSACTIONS = f"""
insert into transactions (account_id, kind, amount, description, occurred_at, created_at)
select a.id, p.kind, p.amount, p.kind || ' #' || p.k,
       a.created_at + interval '1 hour' + p.k * interval '3 days' + ({h("n", 8)} % 48) * interval '1 hour',
       now()
from (select id, created_at, row_number() over (order by id) as i
      from accounts where email like 'sample%@example.com') as a
join (
    select n, (n - 1) % :accounts + 1 as i, (n - 1) / :accounts as k,
           case when (n - 1) / :accounts = 0 then 'deposit'
                else (array['deposit','withdrawal','withdrawal','fee','refund'])[1 + {h("n", 9)} % 5]
           end as kind,
           case when (n - 1) / :accounts = 0
                then 1000 + 40 * (:transactions / :accounts) + ({h("n", 10)} % 500000) / 100.0
                else ({h("n", 10)} % 4000 + 1) / 100.0 end as raw
    from generate_series(1, :transactions) as g(n)
) as q on q.i = a.i
cross join lateral (
    select q.k, q.kind, cast(case when q.kind in ('withdrawal','fee') then -q.raw else q.raw end
                             as numeric(14, 2)) as amount
) as p
"""

# The ledger's trigger moved the balances (and versions) as the postings went in; the accounts that end
# closed or suspended are so only after their postings, and every sample account is at its first version.
STATUSES = f"""
update accounts set version = 1, updated_at = created_at,
       status = case when {h("(id - (select min(id) from accounts) + 1)", 3)} % 100 < 4 then 'closed'
                     when {h("(id - (select min(id) from accounts) + 1)", 3)} % 100 < 9 then 'suspended'
                     else 'active' end
where email like 'sample%@example.com'
"""

AUDIT_ACCOUNTS = """
insert into audit_log (actor, action, entity, entity_id, changes, at)
select :actor, 'create', 'account', id,
       jsonb_build_object('email', jsonb_build_object('old', null, 'new', email),
                          'status', jsonb_build_object('old', null, 'new', status)), created_at
from accounts where email like 'sample%@example.com'
"""

AUDIT_POSTINGS = """
insert into audit_log (actor, action, entity, entity_id, changes, at)
select :actor, 'post', 'transaction', t.id,
       jsonb_build_object('account_id', jsonb_build_object('old', null, 'new', t.account_id),
                          'kind', jsonb_build_object('old', null, 'new', t.kind),
                          'amount', jsonb_build_object('old', null, 'new', t.amount::text),
                          'balance', jsonb_build_object('old', (t.running - t.amount)::text,
                                                        'new', t.running::text)), t.occurred_at
from (select *, sum(amount) over (partition by account_id order by occurred_at, id) as running
      from transactions) as t
join accounts a on a.id = t.account_id and a.email like 'sample%@example.com'
"""


@dataclass(frozen=True)
class Loaded:
    accounts: int
    transactions: int


class SampleDataService:
    def __init__(self, uow: UnitOfWork, accounts: AccountRepository) -> None:
        self.uow, self.accounts = uow, accounts

    async def load_if_empty(
        self, *, accounts: int = 10_000, transactions: int = 100_000, actor: str = "sample-data"
    ) -> Loaded | None:
        """Load the sample when there are no accounts yet; None (nothing done) otherwise."""
        transactions = max(transactions, accounts)
        params = {"accounts": accounts, "transactions": transactions, "actor": actor}
        async with self.uow.atomic() as session:
            await session.execute(text("select pg_advisory_xact_lock(hashtext('queaccount.sample_data'))"))
            if await self.accounts.count() > 0:
                return None
            await session.execute(text(ACCOUNTS), params)
            await session.execute(text(TRANSACTIONS), params)
            await session.execute(text(STATUSES))
            await session.execute(text(AUDIT_ACCOUNTS), params)
            await session.execute(text(AUDIT_POSTINGS), params)
        return Loaded(accounts, transactions)
