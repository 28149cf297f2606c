"""A Mermaid ER diagram generated from the models: tables, columns, keys and relations."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import Column, MetaData, Table, UniqueConstraint
from sqlalchemy.dialects import postgresql

SHORT_TYPES = {"timestamp with time zone": "timestamptz", "character varying": "varchar"}


def _type(column: Column[object]) -> tuple[str, str | None]:
    full = column.type.compile(dialect=postgresql.dialect()).lower()  # type: ignore[no-untyped-call]
    base = re.sub(r"\(.*\)", "", full).strip()
    base = SHORT_TYPES.get(base, base).replace(" ", "_")
    return base, (full if "(" in full else None)


def _keys(table: Table, column: Column[object]) -> str:
    keys = []
    if column.primary_key:
        keys.append("PK")
    if column.foreign_keys:
        keys.append("FK")
    unique = column.unique or any(
        isinstance(c, UniqueConstraint) and list(c.columns.keys()) == [column.name] for c in table.constraints
    )
    if unique:
        keys.append("UK")
    return ",".join(keys)


def mermaid(metadata: MetaData | None = None) -> str:
    """The ER diagram of `metadata` (default: the toolkit's models) as Mermaid source."""
    if metadata is None:
        from toolkit.resources import metadata as every_table

        metadata = every_table()
    lines = ["erDiagram"]
    for table in sorted(metadata.sorted_tables, key=lambda t: t.name):
        lines.append(f"    {table.name} {{")
        for column in table.columns:
            type_, detail = _type(column)
            notes = [n for n in (detail, "nullable" if column.nullable else None) if n]
            keys = _keys(table, column)
            comment = f' "{", ".join(notes)}"' if notes else ""
            lines.append(f"        {type_} {column.name}{' ' + keys if keys else ''}{comment}".rstrip())
        lines.append("    }")
    for table in sorted(metadata.sorted_tables, key=lambda t: t.name):
        for fk in sorted(table.foreign_keys, key=lambda f: f.parent.name):
            many = "o{" if fk.parent.nullable or not fk.parent.unique else "o|"
            lines.append(f'    {fk.column.table.name} ||--{many} {table.name} : "{fk.parent.name}"')
    return "\n".join(lines) + "\n"


DIAGRAM_BLOCK = re.compile(r"(<!-- diagram:start -->\n```mermaid\n)(.*?)(```\n<!-- diagram:end -->)", re.S)


def write_into(path: Path) -> bool:
    """Put the current diagram between the `<!-- diagram:start -->` / `<!-- diagram:end -->` markers of the
    Markdown file at `path`; False when it was already there."""
    text = path.read_text()
    if not DIAGRAM_BLOCK.search(text):
        raise ValueError(f"{path} has no <!-- diagram:start --> ... <!-- diagram:end --> block")
    updated = DIAGRAM_BLOCK.sub(lambda m: m.group(1) + mermaid() + m.group(3), text, count=1)
    path.write_text(updated)
    return updated != text
