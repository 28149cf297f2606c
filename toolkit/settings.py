"""Settings: read once from the environment (and a `.env` file), then passed into the container."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url

PREFIX = "QUEACCOUNT_"


def normalise_url(url: str | URL) -> URL:
    """Accept `postgresql://` and `postgresql+psycopg://` URLs alike; always drive them with psycopg 3."""
    if isinstance(url, str) and url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    parsed = make_url(url) if isinstance(url, str) else url
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


def origins(value: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Browser origins from a comma-separated list (`https://grafana.example.com,http://localhost:3000`)."""
    parts = value.split(",") if isinstance(value, str) else value
    return tuple(part.strip().rstrip("/") for part in parts if part.strip())


@dataclass(frozen=True)
class Settings:
    """Everything configurable. Build it with `Settings.load()`; it never reads the environment by itself."""

    database_url: URL | None = field(default=None, repr=False)
    write_database_url: URL | None = field(default=None, repr=False)
    read_database_url: URL | None = field(default=None, repr=False)
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
            if name in ("database_url", "write_database_url", "read_database_url"):
                converted[name] = normalise_url(value)
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
            elif name in ("connect_timeout_s", "api_key_cache_s"):
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
