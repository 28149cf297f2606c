"""an account's currency cannot change while it holds money: a trigger refuses it, whoever writes

A balance is an amount in the account's currency: changing EUR to USD on an account holding 1,250.00 would
silently turn euros into dollars. The currency may still change while the balance is 0 (a typo on a new
account), and the database holds the rule for every path (the services, `qa.sql(write=True)`, a plain
connection as the writer).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 15:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CURRENCY_FIXED = """
CREATE FUNCTION queaccount_accounts_currency_fixed_while_funded() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'account % holds % %: its currency cannot change while it holds money',
                    OLD.id, OLD.balance, OLD.currency
        USING ERRCODE = 'check_violation', CONSTRAINT = 'ck_accounts_currency_fixed_while_funded',
              HINT = 'move the balance to an account in the new currency first';
END
$$
"""


def upgrade() -> None:
    op.execute(CURRENCY_FIXED)
    op.execute(
        "CREATE TRIGGER accounts_currency_fixed_while_funded BEFORE UPDATE OF currency ON accounts"
        " FOR EACH ROW WHEN (NEW.currency IS DISTINCT FROM OLD.currency AND OLD.balance <> 0)"
        " EXECUTE FUNCTION queaccount_accounts_currency_fixed_while_funded()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER accounts_currency_fixed_while_funded ON accounts")
    op.execute("DROP FUNCTION queaccount_accounts_currency_fixed_while_funded()")
