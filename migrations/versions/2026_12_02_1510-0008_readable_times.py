"""every timestamp stays within the years 1 to 9999 in UTC, which every reader here can hold

PostgreSQL stores 4713 BC to 294276 AD and 'infinity', but Python's datetime (entities, frames, the HTTP
API) holds the years 1 to 9999 only: a posting outside them, once in the append-only ledger, made every
read that met it fail, and the writing role (so `qa.sql(write=True)`) could set an account's created_at
to 'infinity' as well. Each constraint is added NOT VALID (new rows are checked at once, without a long
lock) and validated when no existing row breaks it; a table that already holds such a value keeps it, and
the migration says which rows.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 15:10:00
"""

import warnings
from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RULE = "{column} >= '0001-01-01 00:00:00+00' AND {column} < '10000-01-01 00:00:00+00'"
COLUMNS = [
    ("accounts", "created_at"),
    ("accounts", "updated_at"),
    ("transactions", "occurred_at"),
    ("transactions", "created_at"),
    ("audit_log", "at"),
    ("api_keys", "created_at"),
    ("api_keys", "revoked_at"),
    ("api_keys", "expires_at"),
]


def upgrade() -> None:
    for table, column in COLUMNS:
        name, rule = f"ck_{table}_{column}_readable", RULE.format(column=column)
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({rule}) NOT VALID")
        query = f"SELECT id FROM {table} WHERE NOT ({rule}) ORDER BY id LIMIT 10"
        outside = [row[0] for row in op.get_bind().exec_driver_sql(query)]
        if outside:
            warnings.warn(
                f"{table}.{column} of rows {', '.join(map(str, outside))} lies outside the years 1 to 9999 (UTC),"
                " which no reader here can hold: new rows are checked, these stay until corrected",
                stacklevel=1,
            )
            continue
        op.execute(f"ALTER TABLE {table} VALIDATE CONSTRAINT {name}")


def downgrade() -> None:
    for table, column in reversed(COLUMNS):
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT ck_{table}_{column}_readable")
