"""The database roles: the schema's owner runs migrations; services write as `queaccount_writer`; the read
pool and read-only SQL read as `queaccount_reader`.

What each role may do on a table comes from the model (`Table.info` and `Column.info`), so a new model gets
its grants from its one declaration:

- `info={"append_only": True}`: the writer may INSERT and SELECT, never UPDATE or DELETE (ledger, audit);
- `info={"never_deleted": True}`: no DELETE (accounts are closed, API keys revoked);
- `info={"private": True}`: the reader may not read it (the API keys' hashes);
- `info={"kept_by_database": True}`: both roles may only read it; the database's own functions write it
  (the ledger's rollup);
- a column with `info={"moved_by_database": True}` is never written by the writer (a balance moves only
  through the ledger's trigger); one with `info={"set_once": True}` is given to a new row, never changed
  (`created_at`).

Nobody but the owner may TRUNCATE, create objects or change the schema; neither role may signal other backends
or call `pg_notify` (the writer may: it announces key revocations).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import Connection, Table, text
from sqlalchemy.engine import URL

WRITER = "queaccount_writer"
READER = "queaccount_reader"
ROLES = (WRITER, READER)
# Functions PUBLIC may call by default that a path serving analysts or HTTP must not: signalling other
# backends of the same role (the sidecar's own connections), and notifications on any channel.
GUARDED_FUNCTIONS = (
    "pg_terminate_backend(integer, bigint)",
    "pg_cancel_backend(integer)",
    "pg_notify(text, text)",
)
# The database's own functions the writer may call (each created without EXECUTE for PUBLIC).
WRITER_FUNCTIONS = ("queaccount_fold_transaction_slots(integer)",)


def role_url(url: URL, role: str) -> URL:
    """The same server and database as `url`, as `role` (no password: give it in the role's own setting)."""
    return url.set(username=role, password=None)


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def grants(tables: Iterable[Table], present: Mapping[str, set[str]]) -> list[str]:
    """The GRANT statements that give both roles exactly their privileges on `tables` (run by the owner), on
    the columns each has in the database (`present`: table name → column names; an older revision may lack
    some of the model's)."""
    both = f"{WRITER}, {READER}"
    out = [
        f"GRANT USAGE ON SCHEMA public TO {both}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {WRITER}",
        f"GRANT SELECT ON alembic_version TO {both}",
    ]
    for table in tables:
        name, info = quoted(table.name), table.info
        out.append(f"REVOKE ALL ON {name} FROM {both}")
        out.append(f"GRANT SELECT ON {name} TO {WRITER}")
        if not info.get("private"):
            out.append(f"GRANT SELECT ON {name} TO {READER}")
        if info.get("kept_by_database"):
            continue
        written = [
            c for c in table.columns if c.name in present[table.name] and not c.info.get("moved_by_database")
        ]
        columns = ", ".join(quoted(c.name) for c in written)
        out.append(f"GRANT INSERT ({columns}) ON {name} TO {WRITER}")
        if info.get("append_only"):
            continue
        updatable = ", ".join(
            quoted(c.name) for c in written if not c.primary_key and not c.info.get("set_once")
        )
        out.append(f"GRANT UPDATE ({updatable}) ON {name} TO {WRITER}")
        if not info.get("never_deleted"):
            out.append(f"GRANT DELETE ON {name} TO {WRITER}")
    return out


# Migrations, grants and role setup change the same catalog rows: each holds this lock until its commit.
TAKE_TURNS = "select pg_advisory_xact_lock(hashtext('queaccount.migrations'))"


def roles_exist(connection: Connection) -> bool:
    found = connection.execute(
        text("select count(*) from pg_roles where rolname = any(:names)"), {"names": list(ROLES)}
    ).scalar_one()
    return bool(found == len(ROLES))


def grant_to_roles(connection: Connection) -> bool:
    """Give the roles their privileges on every table of the models that the database has (after each
    migration, as the owner). False, doing nothing, when the roles do not exist (`queaccount db roles`)."""
    from toolkit.resources import metadata

    if not roles_exist(connection):
        return False
    # Two grants at once (a migration's and another process's setup) fail in PostgreSQL ("tuple concurrently
    # updated"): they take turns on the migrations' lock, which a migration's own transaction already holds
    # (taken first, so the tables read below are those of the finished migration).
    connection.exec_driver_sql(TAKE_TURNS)
    present: dict[str, set[str]] = {}
    for table, column in connection.execute(
        text("select table_name, column_name from information_schema.columns where table_schema = 'public'")
    ):
        present.setdefault(table, set()).add(column)
    if "alembic_version" not in present:
        return False
    tables = [t for t in metadata().sorted_tables if t.name in present]
    for statement in grants(tables, present):
        connection.exec_driver_sql(statement)
    for function in WRITER_FUNCTIONS:
        if connection.execute(text("select to_regprocedure(:f)"), {"f": function}).scalar() is not None:
            connection.exec_driver_sql(f"GRANT EXECUTE ON FUNCTION {function} TO {WRITER}")
    return True


def setup(url: URL, passwords: dict[str, str] | None = None) -> list[str]:
    """Create or update both login roles and their rights on `url`'s database, as its owner (who also needs
    CREATEROLE), then grant them their privileges on the tables. Returns warnings for steps the owner may not
    take (revoking functions from PUBLIC needs a superuser)."""
    import psycopg
    from psycopg import sql

    from toolkit.errors import driver_reason

    passwords = passwords or {}
    db = sql.Identifier(str(url.database))
    warnings: list[str] = []
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn, conn.transaction():
        # One transaction on the migrations' lock: these statements and another process's migration or setup
        # touch the same catalog rows (the schema's and the database's privileges), and two at once fail
        # ("tuple concurrently updated").
        conn.execute(TAKE_TURNS)
        for role in ROLES:
            exists = conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
            conn.execute(
                sql.SQL(
                    "ALTER ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
                ).format(sql.Identifier(role))
            )
            if passwords.get(role):
                conn.execute(
                    sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                        sql.Identifier(role), sql.Literal(passwords[role])
                    )
                )
        statements: list[sql.Composed | sql.SQL] = [
            sql.SQL("ALTER ROLE {} IN DATABASE {} SET default_transaction_read_only = on").format(
                sql.Identifier(READER), db
            ),
            sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"),
            sql.SQL("REVOKE TEMPORARY ON DATABASE {} FROM PUBLIC").format(db),
            # Bulk frame writes stage their rows in temporary tables; the reader needs none.
            sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(db, sql.Identifier(WRITER)),
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(db, sql.Identifier(READER)),
            *(sql.SQL(f"REVOKE EXECUTE ON FUNCTION {f} FROM PUBLIC") for f in GUARDED_FUNCTIONS),
            sql.SQL("GRANT EXECUTE ON FUNCTION pg_notify(text, text) TO {}").format(sql.Identifier(WRITER)),
        ]
        for statement in statements:
            try:
                with conn.transaction():  # a savepoint: a statement refused leaves the others to run
                    conn.execute(statement)
            except psycopg.errors.InsufficientPrivilege as error:
                warnings.append(f"{statement.as_string(conn)}: {driver_reason(error)}")
    from sqlalchemy import create_engine, pool

    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.begin() as connection:
            grant_to_roles(connection)
    finally:
        engine.dispose()
    return warnings


def refuse_privileged(url: URL) -> None:
    """Raise NotPermitted when `url` connects as a superuser or as the owner of a table: a path that serves
    HTTP or analysts must not (a database that cannot be reached now is left for the caller to meet later)."""
    import psycopg

    from toolkit.errors import NotPermitted
    from toolkit.settings import mask_url

    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        with psycopg.connect(conninfo, connect_timeout=2) as conn:
            privileged = conn.execute(
                "select rolsuper or exists (select 1 from pg_tables where tableowner = current_user"
                " and schemaname = 'public') from pg_roles where rolname = current_user"
            ).fetchone()
    except psycopg.OperationalError:
        return
    if privileged and privileged[0]:
        raise NotPermitted(
            f"{mask_url(url)} connects as a superuser or as the schema's owner, which the sidecar and the"
            " notebook never do: point QUEACCOUNT_WRITE_DATABASE_URL / QUEACCOUNT_READ_DATABASE_URL at the"
            f" {WRITER} and {READER} roles (`queaccount db roles` sets them up)"
        )
