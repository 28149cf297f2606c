"""The benchmark database: its own embedded PostgreSQL (or QUEACCOUNT_BENCH_DATABASE_URL), seeded by SQL."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import psycopg
from sqlalchemy.engine import URL

from toolkit.settings import normalise_url

# Deterministic accounts 1..n, made by the server (no Python loop). Every 50th account is closed; the rest
# cycle through statuses, plans, countries and currencies.
SEED = """
INSERT INTO accounts
    (email, full_name, status, plan, country, currency, balance, created_at, updated_at, version)
SELECT 'user' || i || '@example.com',
       'User ' || i,
       CASE WHEN i %% 50 = 0 THEN 'closed' WHEN i %% 7 = 0 THEN 'suspended' ELSE 'active' END,
       (ARRAY['free', 'pro', 'business'])[1 + i %% 3],
       (ARRAY['DE', 'FR', 'NL', 'GB', 'US', 'ES', 'IT', 'PL'])[1 + i %% 8],
       (ARRAY['EUR', 'USD', 'GBP', 'PLN'])[1 + i %% 4],
       (i %% 1000000) / 100.0,
       timestamptz '2025-01-01 00:00:00+00' + i * interval '1 second',
       timestamptz '2025-06-01 00:00:00+00' + i * interval '1 second',
       1 + i %% 3
FROM generate_series(1, %(n)s) AS i
"""


def libpq(url: URL) -> str:
    """A libpq connection string for `url` (psycopg and ADBC both take it)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def start() -> URL:
    """QUEACCOUNT_BENCH_DATABASE_URL, or a fresh embedded PostgreSQL in a temporary folder, migrated."""
    from toolkit import migrations

    configured = os.environ.get("QUEACCOUNT_BENCH_DATABASE_URL")
    if configured:
        url = normalise_url(configured)
    else:
        from toolkit import embedded

        url = embedded.start(Path(tempfile.mkdtemp(prefix="qa-bench-")), database="bench")
    migrations.upgrade(url=url)
    return url


def reset(url: URL, rows: int) -> None:
    """Every case starts here: `rows` seeded accounts, empty audit log and ledger, fresh statistics."""
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        # The ledger and the audit log refuse TRUNCATE by trigger (migration 0004), even for their owner; the
        # benchmark's superuser empties them in replica mode, where no ordinary trigger fires.
        conn.execute("SET session_replication_role = replica")
        conn.execute(
            "TRUNCATE accounts, transactions, audit_log, transaction_slots, transaction_slot_deltas"
            " RESTART IDENTITY CASCADE"
        )
        conn.execute("SET session_replication_role = DEFAULT")
        conn.execute("DROP TABLE IF EXISTS bench_to_sql")
        conn.execute(SEED, {"n": rows})
        conn.execute("VACUUM (FREEZE, ANALYZE) accounts")
        conn.execute("VACUUM (ANALYZE) audit_log")
        conn.execute("CHECKPOINT")
