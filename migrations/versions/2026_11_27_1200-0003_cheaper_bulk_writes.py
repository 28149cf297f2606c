"""cheaper bulk writes: bulk loads audited per id range, a BRIN time index, a partial status index

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 12:00:00

- `audit_log.last_entity_id`: a bulk load of new rows is audited as one row per run of consecutive ids
  (`entity_id` .. `last_entity_id`) instead of one row per new row.
- `ix_audit_log_at` becomes a BRIN index: the log is appended in time order.
- `ix_accounts_status` covers only the rare statuses: most accounts are active, and writes of active
  accounts no longer touch it.

Downgrade expands every range back into one row per id (same time, actor and changes), so nothing recorded
is lost either way.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("last_entity_id", sa.BigInteger(), nullable=True))
    op.create_check_constraint(
        op.f("ck_audit_log_entity_range_ordered"), "audit_log", "last_entity_id >= entity_id"
    )
    op.create_index(
        "ix_audit_log_entity_last_entity_id",
        "audit_log",
        ["entity", "last_entity_id"],
        unique=False,
        postgresql_where=sa.text("last_entity_id IS NOT NULL"),
    )
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.create_index("ix_audit_log_at", "audit_log", ["at"], unique=False, postgresql_using="brin")
    op.drop_index("ix_accounts_status", table_name="accounts")
    op.create_index(
        "ix_accounts_status",
        "accounts",
        ["status"],
        unique=False,
        postgresql_where=sa.text("status <> 'active'"),
    )


def downgrade() -> None:
    op.execute(
        """
        INSERT INTO audit_log (at, actor, action, entity, entity_id, changes)
        SELECT a.at, a.actor, a.action, a.entity, i, a.changes
        FROM audit_log a, generate_series(a.entity_id + 1, a.last_entity_id) AS i
        WHERE a.last_entity_id > a.entity_id
        """
    )
    op.drop_index("ix_accounts_status", table_name="accounts")
    op.create_index("ix_accounts_status", "accounts", ["status"], unique=False)
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.create_index("ix_audit_log_at", "audit_log", ["at"], unique=False)
    op.drop_index(
        "ix_audit_log_entity_last_entity_id",
        table_name="audit_log",
        postgresql_where=sa.text("last_entity_id IS NOT NULL"),
    )
    op.drop_constraint(op.f("ck_audit_log_entity_range_ordered"), "audit_log", type_="check")
    op.drop_column("audit_log", "last_entity_id")
