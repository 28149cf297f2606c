"""Settings: read once from the environment (and a `.env` file), then passed into the container."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

PREFIX = "QUEACCOUNT_"


def normalise_url(url: str | URL) -> URL:
    """Accept `postgresql://` and `postgresql+psycopg://` URLs alike; always drive them with psycopg 3."""
    if isinstance(url, str) and url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except ArgumentError:  # SQLAlchemy's message; the text itself may hold a password
        raise ValueError(
            "not a database URL: expected postgresql://user:password@host:port/database"
        ) from None
    if parsed.get_backend_name() != "postgresql":
        raise ValueError(f"not a PostgreSQL URL: {mask_url(parsed)}")
    return parsed.set(drivername="postgresql+psycopg")


def mask_url(url: str | URL | None) -> str:
    """The URL as it may be shown to people: the password replaced by ***."""
    if url is None:
        return "<embedded PostgreSQL>"
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except Exception:
        return "<unparseable database URL>"
    return parsed.render_as_string(hide_password=True)


def libpq_url(url: URL) -> str:
    """The URL as libpq takes it, password included (for a connection, never for display)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def default_home() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("queaccount", appauthor=False))


def read_env_file(path: Path) -> dict[str, str]:
    """Parse KEY=VALUE lines of a `.env` file (comments, `export` and quotes allowed)."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


# A comma that starts the next URL of a list (a comma inside a password stays where it is).
NEXT_URL = re.compile(r",\s*(?=postgres(?:ql)?(?:\+\w+)?://)")
READ_FROM = ("primary", "replica")


def url_list(value: str | URL | tuple[str | URL, ...] | list[str | URL]) -> tuple[URL, ...]:
    """One URL or several (comma-separated, or a sequence), each normalised as `normalise_url` does."""
    if isinstance(value, URL):
        return (normalise_url(value),)
    parts = NEXT_URL.split(value.strip()) if isinstance(value, str) else value
    return tuple(normalise_url(part.strip() if isinstance(part, str) else part) for part in parts if part)


def joined_urls(urls: tuple[URL, ...]) -> str:
    """`url_list`'s input back, passwords included (for a child process's environment only)."""
    return ",".join(url.render_as_string(hide_password=False) for url in urls)


def checked_read_from(value: str) -> str:
    if value not in READ_FROM:
        raise ValueError(f"read_from must be one of {', '.join(READ_FROM)}, not {value!r}")
    return value


def origins(value: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Browser origins from a comma-separated list (`https://grafana.example.com,http://localhost:3000`)."""
    parts = value.split(",") if isinstance(value, str) else value
    return tuple(part.strip().rstrip("/") for part in parts if part.strip())


@dataclass(frozen=True)
class Settings:
    """Everything configurable. Build it with `Settings.load()`; it never reads the environment by itself."""

    database_url: URL | None = field(default=None, repr=False)
    write_database_url: URL | None = field(default=None, repr=False)
    # The reader's URL on the primary, or on hot standbys (several, comma-separated): toolkit/endpoints.py.
    read_database_url: tuple[URL, ...] = field(default=(), repr=False)
    read_from: str = "primary"  # where the notebook's frames are read: "replica" sends them to the standbys
    home: Path = field(default_factory=default_home)
    max_page_size: int = 1000
    max_write_rows: int = 1000
    statement_timeout_ms: int = 5000
    pool_size: int = 10
    connect_timeout_s: float = 2.0
    pool_pre_ping: bool = False
    api_key_pepper: str = field(default="", repr=False)
    api_key_cache_s: float = 5.0
    cors_origins: tuple[str, ...] = ()
    cache_max_age_s: int = 0
    compress_min_bytes: int = 500
    drain_s: float = 0.0  # after SIGTERM the sidecar answers readiness 503 but serves this long, then stops

    @classmethod
    def load(
        cls,
        environ: Mapping[str, str] | None = None,
        env_file: Path | str | None = ".env",
        **overrides: Any,
    ) -> Settings:
        """Precedence: keyword overrides, then the environment, then the `.env` file, then defaults."""
        merged: dict[str, str] = {}
        if env_file is not None:
            merged.update(read_env_file(Path(env_file)))
        merged.update(os.environ if environ is None else environ)
        kwargs: dict[str, Any] = {}
        for f in fields(cls):
            raw = merged.get(PREFIX + f.name.upper())
            if raw not in (None, ""):
                kwargs[f.name] = raw
        kwargs.update({k: v for k, v in overrides.items() if v is not None})
        return cls.coerce(**kwargs)

    @classmethod
    def coerce(cls, **values: Any) -> Settings:
        converted: dict[str, Any] = {}
        for name, value in values.items():
            if name in ("database_url", "write_database_url"):
                converted[name] = normalise_url(value)
            elif name == "read_database_url":
                converted[name] = url_list(value)
            elif name == "read_from":
                converted[name] = checked_read_from(value)
            elif name == "home":
                converted[name] = Path(value).expanduser()
            elif name in (
                "max_page_size",
                "statement_timeout_ms",
                "pool_size",
                "max_write_rows",
                "cache_max_age_s",
                "compress_min_bytes",
            ):
                converted[name] = int(value)
            elif name in ("connect_timeout_s", "api_key_cache_s", "drain_s"):
                converted[name] = float(value)
            elif name == "cors_origins":
                converted[name] = origins(value)
            elif name == "pool_pre_ping":
                converted[name] = (
                    value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
                )
            else:
                converted[name] = value
        return cls(**converted)

    def with_url(self, url: str | URL) -> Settings:
        return replace(self, database_url=normalise_url(url))

    @property
    def masked_url(self) -> str:
        return mask_url(self.database_url)

    def __repr__(self) -> str:
        return (
            f"Settings(database={self.masked_url}, home={str(self.home)!r}, "
            f"max_page_size={self.max_page_size}, statement_timeout_ms={self.statement_timeout_ms})"
        )
