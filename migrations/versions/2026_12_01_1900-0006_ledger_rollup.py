"""the ledger's rollup: postings per UTC quarter hour and kind, kept by the database, never stale

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 19:00:00

- `transaction_slots` holds count and sum per 15-minute UTC slot and kind; `transaction_slot_deltas` holds
  what posting statements added since the last fold. The totals of any span of whole slots are the sums of
  both tables' rows in it, at every moment and in every snapshot.
- Each INSERT on `transactions` appends its slots' totals as new delta rows (statement-level trigger, running
  as the schema's owner): it updates no shared row, so concurrent postings never wait for one another.
- `queaccount_fold_transaction_slots(most)` moves up to `most` committed deltas (all when NULL) into
  `transaction_slots` in one statement (DELETE ... RETURNING feeding an upsert: a delta is folded exactly
  once, a concurrent uncommitted one is left for later). One fold at a time: a second one returns 0 at once
  instead of waiting (an advisory lock held until its transaction ends); outside READ COMMITTED it does
  nothing, so it can never fail a transaction. The posting trigger folds up to 1000 before adding its own
  deltas, so the deltas stay few without a scheduler; the writer may call it too (nobody else). The trigger
  runs with work_mem 64MB: a frame of a million postings over a year groups into ~175,000 slots in memory
  instead of spilling to disk (which cost post_frame of 1,000,000 about a second).
- `queaccount_build_transaction_slots()` (owner only) rebuilds both tables from the whole ledger, holding
  off postings meanwhile: the upgrade builds the rollup of an existing ledger with it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SLOT = "date_bin('15 minutes', occurred_at, timestamptz '2000-01-01 00:00:00+00')"

FOLD = """
CREATE FUNCTION queaccount_fold_transaction_slots(most integer DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    folded bigint;
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed'
       OR NOT pg_try_advisory_xact_lock(hashtext('queaccount.transaction_slots')) THEN
        RETURN 0;
    END IF;
    WITH batch AS (
        DELETE FROM public.transaction_slot_deltas d
        WHERE d.id IN (SELECT id FROM public.transaction_slot_deltas ORDER BY id LIMIT most)
        RETURNING d.slot, d.kind, d.count, d.total
    ), merged AS (
        INSERT INTO public.transaction_slots AS s (slot, kind, count, total)
        SELECT slot, kind, sum(count), sum(total) FROM batch GROUP BY slot, kind
        ON CONFLICT (slot, kind) DO UPDATE
        SET count = s.count + excluded.count, total = s.total + excluded.total
    )
    SELECT count(*) INTO folded FROM batch;
    RETURN folded;
END
$$
"""

FILL = f"""
CREATE FUNCTION queaccount_ledger_fills_slots() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public SET work_mem = '64MB' AS $$
BEGIN
    PERFORM public.queaccount_fold_transaction_slots(1000);
    INSERT INTO public.transaction_slot_deltas (slot, kind, count, total)
    SELECT {SLOT}, kind, count(*), sum(amount) FROM posted WHERE isfinite(occurred_at) GROUP BY 1, 2;
    RETURN NULL;
END
$$
"""

BUILD = f"""
CREATE FUNCTION queaccount_build_transaction_slots() RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, public SET work_mem = '64MB' AS $$
DECLARE
    built bigint;
BEGIN
    LOCK TABLE public.transactions IN SHARE MODE;
    LOCK TABLE public.transaction_slots, public.transaction_slot_deltas IN EXCLUSIVE MODE;
    DELETE FROM public.transaction_slot_deltas;
    DELETE FROM public.transaction_slots;
    INSERT INTO public.transaction_slots (slot, kind, count, total)
    SELECT {SLOT}, kind, count(*), sum(amount) FROM public.transactions WHERE isfinite(occurred_at)
    GROUP BY 1, 2;
    GET DIAGNOSTICS built = ROW_COUNT;
    RETURN built;
END
$$
"""

FUNCTIONS = (
    "queaccount_fold_transaction_slots(integer)",
    "queaccount_ledger_fills_slots()",
    "queaccount_build_transaction_slots()",
)


def upgrade() -> None:
    op.create_table(
        "transaction_slots",
        sa.Column("slot", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.Numeric(), nullable=False),
        sa.PrimaryKeyConstraint("slot", "kind", name=op.f("pk_transaction_slots")),
    )
    op.create_table(
        "transaction_slot_deltas",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("slot", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.Numeric(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transaction_slot_deltas")),
    )
    for statement in (FOLD, FILL, BUILD):
        op.execute(statement)
    for function in FUNCTIONS:
        op.execute(f"REVOKE EXECUTE ON FUNCTION {function} FROM PUBLIC")
    # The trigger first: its lock holds off postings until this migration commits, so none is missed.
    op.execute(
        "CREATE TRIGGER transactions_fill_slots AFTER INSERT ON transactions"
        " REFERENCING NEW TABLE AS posted FOR EACH STATEMENT EXECUTE FUNCTION queaccount_ledger_fills_slots()"
    )
    op.execute("SELECT queaccount_build_transaction_slots()")
    op.execute("ANALYZE transaction_slots")


def downgrade() -> None:
    op.execute("DROP TRIGGER transactions_fill_slots ON transactions")
    for function in FUNCTIONS:
        op.execute(f"DROP FUNCTION {function}")
    op.drop_table("transaction_slot_deltas")
    op.drop_table("transaction_slots")
