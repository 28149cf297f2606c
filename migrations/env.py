"""Alembic environment shared by `alembic` on the command line and by `toolkit.migrations`."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection, create_engine, pool

from toolkit.resources import metadata
from toolkit.roles import TAKE_TURNS, grant_to_roles

config = context.config
if config.config_file_name is not None and not config.attributes.get("quiet_logging"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = metadata()  # every model's tables, the resources' included


def database_url() -> str:
    from toolkit.db import resolve_url
    from toolkit.settings import Settings

    url = config.attributes.get("url") or resolve_url(Settings.load())
    return url if isinstance(url, str) else url.render_as_string(hide_password=False)


def run_migrations_offline() -> None:
    context.configure(
        url=database_url(), target_metadata=target_metadata, literal_binds=True, compare_type=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(database_url(), poolclass=pool.NullPool)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection: Connection) -> None:
    applied: list[object] = []
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        on_version_apply=lambda **step: applied.append(step),
    )
    with context.begin_transaction():
        # Two upgrades at once (two notebooks, two deploys) take turns: the second finds the work done.
        connection.exec_driver_sql(TAKE_TURNS)
        context.run_migrations()
        if applied:
            # The writing and reading roles get their privileges on whatever tables the schema now has.
            grant_to_roles(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
