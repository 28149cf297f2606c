"""The declarative base, with a constraint naming convention so autogenerate is deterministic."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, MetaData
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",  # every column of a key of several
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# What Python's datetime, and so every reader here (entities, frames, the HTTP API), can hold: PostgreSQL
# takes 4713 BC to 294276 AD and 'infinity', any of which would make every read that meets the row fail.
READABLE_TIME = "{column} >= '0001-01-01 00:00:00+00' AND {column} < '10000-01-01 00:00:00+00'"


def readable_time(column: str) -> CheckConstraint:
    """`ck_<table>_<column>_readable`: the timestamp stays within the years 1 to 9999 in UTC."""
    return CheckConstraint(READABLE_TIME.format(column=column), name=f"{column}_readable")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: DateTime(timezone=True), dict[str, Any]: JSONB}
