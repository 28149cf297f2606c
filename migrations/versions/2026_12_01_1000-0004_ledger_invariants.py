"""the database holds the ledger's invariants, whoever connects

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 10:00:00

- A balance is moved only by the ledger: inserting transactions moves their accounts' balances (and versions)
  in the same statement, by a trigger that runs as the schema's owner. The writing role may not write
  `accounts.balance` itself (column privileges, granted after each migration), so at every moment each
  balance equals the sum of its account's ledger.
- Nothing can be posted to a closed account, and a closed account cannot be reopened.
- The ledger and the audit log are append-only against every statement that removes or changes rows:
  UPDATE, DELETE and TRUNCATE are refused by triggers (and the roles are not granted them).

The upgrade refuses to run where a stored balance already differs from its ledger's sum, naming the accounts.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MOVE_BALANCES = """
CREATE FUNCTION queaccount_ledger_moves_balances() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    closed_id bigint;
BEGIN
    WITH moved AS (
        UPDATE public.accounts a
        SET balance = a.balance + s.total, version = a.version + 1, updated_at = now()
        FROM (SELECT account_id, sum(amount) AS total FROM posted GROUP BY account_id) s
        WHERE a.id = s.account_id
        RETURNING a.id, a.status
    )
    SELECT min(id) INTO closed_id FROM moved WHERE status = 'closed';
    IF closed_id IS NOT NULL THEN
        RAISE EXCEPTION 'account % is closed: nothing can be posted to it', closed_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ck_transactions_account_open',
                  HINT = 'a closed account stays closed';
    END IF;
    RETURN NULL;
END
$$
"""

NEVER_REOPENED = """
CREATE FUNCTION queaccount_accounts_never_reopened() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'account % is closed and cannot be reopened', OLD.id
        USING ERRCODE = 'check_violation', CONSTRAINT = 'ck_accounts_never_reopened';
END
$$
"""

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION queaccount_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation',
              HINT = CASE WHEN TG_TABLE_NAME = 'transactions' THEN 'post a reversing adjustment instead'
                          ELSE 'the audit log keeps every change' END;
END
$$
"""

OUT_OF_BALANCE = """
SELECT a.id FROM accounts a
LEFT JOIN (SELECT account_id, sum(amount) AS total FROM transactions GROUP BY account_id) s
       ON s.account_id = a.id
WHERE a.balance <> coalesce(s.total, 0) ORDER BY a.id LIMIT 10
"""


def upgrade() -> None:
    bad = [row[0] for row in op.get_bind().exec_driver_sql(OUT_OF_BALANCE)]
    if bad:
        raise RuntimeError(
            "these accounts' balances differ from the sum of their transactions, so the database cannot start "
            f"holding that rule: {', '.join(map(str, bad))} (post adjustments or correct them first)"
        )
    op.execute(MOVE_BALANCES)
    op.execute(
        "CREATE TRIGGER transactions_move_balances AFTER INSERT ON transactions"
        " REFERENCING NEW TABLE AS posted FOR EACH STATEMENT EXECUTE FUNCTION queaccount_ledger_moves_balances()"
    )
    op.execute(NEVER_REOPENED)
    op.execute(
        "CREATE TRIGGER accounts_never_reopened BEFORE UPDATE OF status ON accounts FOR EACH ROW"
        " WHEN (OLD.status = 'closed' AND NEW.status IS DISTINCT FROM 'closed')"
        " EXECUTE FUNCTION queaccount_accounts_never_reopened()"
    )
    op.execute(APPEND_ONLY)
    op.execute(
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log"
        " FOR EACH ROW EXECUTE FUNCTION queaccount_ledger_append_only()"
    )
    for table in ("transactions", "audit_log"):
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION queaccount_ledger_append_only()"
        )


ORIGINAL_APPEND_ONLY = """
CREATE OR REPLACE FUNCTION queaccount_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: % on transactions is refused', TG_OP
        USING ERRCODE = 'restrict_violation', HINT = 'post a reversing adjustment instead';
END
$$
"""


def downgrade() -> None:
    for table in ("transactions", "audit_log"):
        op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
    op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
    op.execute(ORIGINAL_APPEND_ONLY)
    op.execute("DROP TRIGGER accounts_never_reopened ON accounts")
    op.execute("DROP FUNCTION queaccount_accounts_never_reopened()")
    op.execute("DROP TRIGGER transactions_move_balances ON transactions")
    op.execute("DROP FUNCTION queaccount_ledger_moves_balances()")
