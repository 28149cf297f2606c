"""The HTTP sidecar (Litestar): `create_app(settings=None)` returns the app; `queaccount serve` runs it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sidecar.app import create_app


def __getattr__(name: str) -> Any:
    # Lazy: importing the package (e.g. for the CLI entry point) does not import Litestar.
    if name == "create_app":
        from sidecar.app import create_app

        return create_app
    raise AttributeError(f"module 'sidecar' has no attribute {name!r}")


__all__ = ["create_app"]
