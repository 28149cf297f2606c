"""The models as an ER diagram: tables, columns, keys and relations, as Mermaid source (for the README, which
GitHub renders) or as a self-contained SVG (`toolkit.diagram_svg`, for notebooks and their HTML exports)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Column, MetaData, Table, UniqueConstraint
from sqlalchemy.dialects import postgresql

SHORT_TYPES = {"timestamp with time zone": "timestamptz", "character varying": "varchar"}


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # short, e.g. varchar
    detail: str | None  # the full type when it has a size, e.g. varchar(16)
    keys: tuple[str, ...]  # PK, FK, UK
    nullable: bool


@dataclass(frozen=True)
class Box:
    name: str
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class Link:
    parent: str  # the table referred to (its side: exactly one)
    child: str  # the table holding the foreign key (its side: zero or more, or zero or one)
    column: str  # the foreign key's column in `child`
    referred: str  # the column of `parent` it refers to
    many: bool


def _type(column: Column[object]) -> tuple[str, str | None]:
    full = column.type.compile(dialect=postgresql.dialect()).lower()  # type: ignore[no-untyped-call]
    base = re.sub(r"\(.*\)", "", full).strip()
    base = SHORT_TYPES.get(base, base).replace(" ", "_")
    return base, (full if "(" in full else None)


def _keys(table: Table, column: Column[object]) -> tuple[str, ...]:
    unique = column.unique or any(
        isinstance(c, UniqueConstraint) and list(c.columns.keys()) == [column.name] for c in table.constraints
    )
    marks = (("PK", column.primary_key), ("FK", bool(column.foreign_keys)), ("UK", bool(unique)))
    return tuple(mark for mark, has in marks if has)


def graph(metadata: MetaData | None = None) -> tuple[list[Box], list[Link]]:
    """The tables of `metadata` (default: every model's), by name, and the foreign keys between them; not
    the summaries the database keeps of them (`kept_by_database`, like an index: the ledger's rollup)."""
    if metadata is None:
        from toolkit.resources import metadata as every_table

        metadata = every_table()
    tables = sorted(
        (t for t in metadata.sorted_tables if not t.info.get("kept_by_database")), key=lambda t: t.name
    )
    boxes = [
        Box(t.name, tuple(Field(c.name, *_type(c), _keys(t, c), bool(c.nullable)) for c in t.columns))
        for t in tables
    ]
    links = [
        Link(
            fk.column.table.name,
            t.name,
            fk.parent.name,
            fk.column.name,
            bool(fk.parent.nullable or not fk.parent.unique),
        )
        for t in tables
        for fk in sorted(t.foreign_keys, key=lambda f: f.parent.name)
    ]
    return boxes, links


def mermaid(metadata: MetaData | None = None) -> str:
    """The ER diagram of `metadata` (default: the toolkit's models) as Mermaid source."""
    boxes, links = graph(metadata)
    lines = ["erDiagram"]
    for box in boxes:
        lines.append(f"    {box.name} {{")
        for f in box.fields:
            notes = [n for n in (f.detail, "nullable" if f.nullable else None) if n]
            keys = f" {','.join(f.keys)}" if f.keys else ""
            comment = f' "{", ".join(notes)}"' if notes else ""
            lines.append(f"        {f.type} {f.name}{keys}{comment}".rstrip())
        lines.append("    }")
    for link in links:
        lines.append(f'    {link.parent} ||--{"o{" if link.many else "o|"} {link.child} : "{link.column}"')
    return "\n".join(lines) + "\n"


class Diagram:
    """The ER diagram as a notebook shows it: an SVG (no JavaScript, no network), Mermaid as its text."""

    def __init__(self, metadata: MetaData | None = None) -> None:
        self.metadata = metadata

    def svg(self) -> str:
        from toolkit.diagram_svg import svg

        return svg(*graph(self.metadata))

    def _repr_svg_(self) -> str:
        return self.svg()

    def _repr_html_(self) -> str:
        """The SVG as an <img> data URL: JupyterLab shows HTML (sanitized) in a notebook it does not trust,
        where it would show no SVG output, and so do HTML exports."""
        import base64

        data = base64.b64encode(self.svg().encode()).decode()
        return f'<img alt="ER diagram of the models" src="data:image/svg+xml;base64,{data}">'

    def __repr__(self) -> str:
        return mermaid(self.metadata)


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
