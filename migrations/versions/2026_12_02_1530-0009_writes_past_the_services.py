"""writes past the services keep versions and revocations honest, and creation times stay as written

- Any change to an account bumps its `version` (and `updated_at`) unless the statement moved the version itself,
  as the services and the balance trigger do: a change through `qa.sql(write=True)` or a plain connection as
  the writer used to leave the version alone, so a frame read before it overwrote it silently on apply().
- A revoked API key stays revoked: clearing or moving `revoked_at` is refused, whoever writes.
- `created_at` is written once: the writer may give it to a new row but not change it (the grants follow the
  models' `Column.info`, `set_once`).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 15:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VERSION_FOLLOWS = """
CREATE FUNCTION queaccount_accounts_version_follows_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := OLD.version + 1;
    NEW.updated_at := now();
    RETURN NEW;
END
$$
"""

STAYS_REVOKED = """
CREATE FUNCTION queaccount_api_keys_stay_revoked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'API key % was revoked and stays revoked', OLD.name
        USING ERRCODE = 'check_violation', CONSTRAINT = 'ck_api_keys_stay_revoked',
              HINT = 'create a new key instead';
END
$$
"""


def upgrade() -> None:
    op.execute(VERSION_FOLLOWS)
    op.execute(
        "CREATE TRIGGER accounts_version_follows_changes BEFORE UPDATE ON accounts FOR EACH ROW"
        " WHEN (NEW.version = OLD.version AND OLD.* IS DISTINCT FROM NEW.*)"
        " EXECUTE FUNCTION queaccount_accounts_version_follows_changes()"
    )
    op.execute(STAYS_REVOKED)
    op.execute(
        "CREATE TRIGGER api_keys_stay_revoked BEFORE UPDATE OF revoked_at ON api_keys FOR EACH ROW"
        " WHEN (OLD.revoked_at IS NOT NULL AND NEW.revoked_at IS DISTINCT FROM OLD.revoked_at)"
        " EXECUTE FUNCTION queaccount_api_keys_stay_revoked()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER api_keys_stay_revoked ON api_keys")
    op.execute("DROP FUNCTION queaccount_api_keys_stay_revoked()")
    op.execute("DROP TRIGGER accounts_version_follows_changes ON accounts")
    op.execute("DROP FUNCTION queaccount_accounts_version_follows_changes()")
