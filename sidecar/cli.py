"""`queaccount serve`, `queaccount demo` and `queaccount keys ...`, added through the entry point group
`queaccount.commands`. Litestar and uvicorn are imported only by the commands that serve."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from toolkit.expiry import EXPIRES_HELP
from toolkit.settings import Settings

if TYPE_CHECKING:
    from toolkit.entities import ApiKey

T = TypeVar("T")


def cli_actor() -> str:
    return f"cli:{getpass.getuser()}"


def in_scope(settings: Settings, service: type[T], call: Callable[[T], Awaitable[Any]]) -> Any:
    """Run one service call in its own container scope, as every face does."""
    from toolkit.wiring import create_container

    async def run() -> Any:
        container = create_container(settings)
        try:
            async with container.enter_scope() as scope:
                return await call(await scope.get(service))
        finally:
            await container.close()

    return asyncio.run(run())


def utc(moment: datetime | None, default: str = "") -> str:
    return default if moment is None else f"{moment.astimezone(UTC):%Y-%m-%d %H:%M}"


def keys_create(args: argparse.Namespace, settings: Settings) -> int:
    from toolkit.services import ApiKeyService

    key, secret = in_scope(
        settings,
        ApiKeyService,
        lambda s: s.create(args.name, args.scope, actor=cli_actor(), expires=args.expires),
    )
    until = "never expires" if key.expires_at is None else f"expires {utc(key.expires_at)} UTC"
    print(f"created {key.scope} key {key.name!r} ({until}). Its secret is shown only now; store it safely:")
    print(secret)
    return 0


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell, two spaces apart, under a header row."""
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in (header, *rows)
    ]
    return "\n".join(line.rstrip() for line in lines)


def key_state(key: ApiKey) -> str:
    from toolkit.keycache import has_expired

    if key.revoked_at is not None:
        return f"revoked {utc(key.revoked_at)}"
    return "expired" if has_expired(key) else "active"


def keys_list(args: argparse.Namespace, settings: Settings) -> int:
    from toolkit.services import ApiKeyService

    keys = in_scope(settings, ApiKeyService, lambda s: s.list(order_by="id"))
    if not keys:
        print("no API keys yet: create one with queaccount keys create --name NAME")
        return 0
    header = ("ID", "NAME", "SCOPE", "CREATED (UTC)", "EXPIRES (UTC)", "STATE")
    rows = [
        (str(k.id), k.name, str(k.scope), utc(k.created_at), utc(k.expires_at, "never"), key_state(k))
        for k in keys
    ]
    print(text_table(header, rows))
    return 0


def keys_revoke(args: argparse.Namespace, settings: Settings) -> int:
    from toolkit.services import ApiKeyService

    in_scope(settings, ApiKeyService, lambda s: s.revoke(args.name, actor=cli_actor()))
    print(f"revoked {args.name!r}: it is refused from the next request on")
    return 0


def serve(args: argparse.Namespace, settings: Settings) -> int:
    from sidecar.serving import check_port_free, run

    check_port_free(args.host, args.port)
    run(settings, host=args.host, port=args.port, workers=args.workers)
    return 0


def demo(args: argparse.Namespace, settings: Settings) -> int:
    from sidecar.serving import announce_when_listening, check_port_free, prepare_demo, run

    check_port_free(args.host, args.port)
    base = f"http://{args.host}:{args.port}"
    key, secret = prepare_demo(settings)
    query = "plan=eq.pro&order=balance.desc&limit=5"
    banner = (
        f"\nQueAccount demo: docs at {base}/schema  (OpenAPI 3.1 at {base}/schema/openapi.json)\n"
        f"Live dashboard at {base}/dashboard (paste the read key below into it)\n"
        "Try (the demo read key is new on every start, and revoked when the demo stops):\n"
        f"  curl -H 'Authorization: Bearer {secret}' '{base}/v1/accounts?{query}'\n"
    )
    announce_when_listening(args.host, args.port, banner)  # printed once the port answers
    try:
        run(settings, host=args.host, port=args.port, workers=args.workers)
    finally:  # also on Ctrl+C and SIGTERM (both end uvicorn.run by raising)
        end_demo_key(settings, key)
    return 0


def end_demo_key(settings: Settings, key: ApiKey) -> None:
    """Revoke the demo's read key as the demo stops; when that fails, it still expires by itself."""
    from toolkit.errors import NotFound, QueAccountError
    from toolkit.services import ApiKeyService

    try:
        in_scope(settings, ApiKeyService, lambda s: s.revoke(key.name, actor="demo", key_id=key.id))
    except NotFound:
        return  # revoked already (a newer demo replaced it)
    except QueAccountError as error:
        print(
            f"warning: the demo read key was not revoked ({error}); it expires at {utc(key.expires_at)} UTC",
            file=sys.stderr,
        )
        return
    print("revoked the demo read key", file=sys.stderr)


def whole(low: int, high: int) -> Any:
    """An argparse type: a whole number from `low` to `high`, else argparse's one-line usage error."""

    def parse(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"{number} is not from {low} to {high}")
        return number

    return parse


KEYS_HELP = """\
The API keys HTTP clients send to the sidecar (`Authorization: Bearer <secret>`). A read key may read; a write
key may also create and change rows, each change audited with the key's name as the actor. Only a hash of each
secret is stored."""
CREATE_HELP = """\
Create an API key and print its secret once, on standard output (it cannot be shown again: only its hash is
stored). Its name must not be that of another active key."""
REVOKE_HELP = """\
Revoke the active key with this name: the sidecar refuses it at once (every sidecar's key cache is emptied).
It stays listed by `keys list` as revoked."""


def add_server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument(
        "--port", type=whole(0, 65535), default=8000, help="port (default: 8000; 0: any free port)"
    )
    parser.add_argument("--workers", type=whole(1, 512), default=1, help="worker processes (default: 1)")


def register(commands: Any) -> None:
    """Entry point of `queaccount.commands`: add serve, demo and keys to the `queaccount` command."""
    sub = commands.add_parser(
        "serve",
        help="run the HTTP sidecar (uvicorn)",
        description="Serve the HTTP sidecar on HOST:PORT: accounts, transactions and the audit log as JSON "
        "or CSV, with filters, ordering, pages and aggregates; docs at /schema, a live dashboard at "
        "/dashboard. Every route but /health, /schema, /static and /dashboard needs an API key (create one "
        "with: queaccount keys create --name NAME). The database must be migrated to head (queaccount db "
        "upgrade).",
    )
    add_server_options(sub)
    sub.set_defaults(handler=serve)
    sub = commands.add_parser(
        "demo",
        help="embedded PostgreSQL, migrations, sample data, a read key, then serve the sidecar",
        description="Use the configured database, or start the embedded PostgreSQL (data kept under "
        "QUEACCOUNT_HOME); migrate it to head; load 10,000 sample accounts when it is empty; create a fresh "
        "read key named 'demo'; serve the sidecar and, once the port answers, print where the docs and the "
        "live dashboard are and a curl line to try. "
        "Ctrl+C (or SIGTERM) stops the server, revokes the demo key and stops the embedded PostgreSQL; a "
        "demo killed outright leaves a key that expires 12 hours after it was made.",
    )
    add_server_options(sub)
    sub.set_defaults(handler=demo)

    keys = commands.add_parser(
        "keys", help="API keys of the HTTP sidecar", description=KEYS_HELP
    ).add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    create = keys.add_parser(
        "create", help="create a key and print its secret (once)", description=CREATE_HELP
    )
    create.add_argument("--name", required=True, help="who uses it; it is the actor in the audit log")
    create.add_argument("--scope", choices=["read", "write"], default="read", help="read, or read and write")
    create.add_argument(
        "--expires",
        metavar="WHEN",
        help=f"refuse the key from then on: {EXPIRES_HELP}. Without it the key never expires",
    )
    create.set_defaults(handler=keys_create)
    listing = "list keys in a table: id, name, scope, created, expires, state (never their secrets)"
    keys.add_parser("list", help=listing, description=listing).set_defaults(handler=keys_list)
    revoke = keys.add_parser("revoke", help="revoke the active key with this name", description=REVOKE_HELP)
    revoke.add_argument("name", help="the name the key was created with (--name)")
    revoke.set_defaults(handler=keys_revoke)
