"""Results that a notebook shows as small tables (HTML in Jupyter, aligned text elsewhere) and that stay
what they were: `Listing` is a list, so code that indexes, compares or loops over the result still works."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

import pandas as pd

T = TypeVar("T")
HEAD = 50  # rows shown; the rest are counted
LEFT = re.compile(r"<(td|th)(?: style=\"[^\"]*\")?>")


def moment(value: datetime | None) -> str:
    """A timestamp as people read it: `2025-03-01 10:00:00 UTC` (its zone's abbreviation, or its offset)."""
    if value is None:
        return ""
    zone = value.strftime("%Z") or value.strftime("%z")
    return f"{value:%Y-%m-%d %H:%M:%S} {zone}".rstrip()


def html_table(frame: pd.DataFrame, empty: str) -> str:
    """`frame` as an HTML table without its index (the first HEAD rows), or `empty` in a paragraph."""
    if frame.empty:
        return f"<p><i>{empty}</i></p>"
    html = frame.head(HEAD).to_html(index=False, border=0, classes="queaccount", na_rep="")
    html = LEFT.sub(
        r'<\1 style="text-align: left;">', html
    )  # text reads from the left (Jupyter's CSS: right)
    more = f"<p>… and {len(frame) - HEAD} more</p>" if len(frame) > HEAD else ""
    return html + more


def text_table(frame: pd.DataFrame, empty: str) -> str:
    """`frame` as aligned text without its index (the first HEAD rows), or `empty`."""
    if frame.empty:
        return empty
    more = f"\n… and {len(frame) - HEAD} more" if len(frame) > HEAD else ""
    shown = frame.head(HEAD).fillna("").astype(str)
    widths = {c: max([len(str(c)), *shown[c].str.len()]) for c in shown.columns}
    left = {c: (lambda v, w=widths[c]: v.ljust(w)) for c in shown.columns}
    return shown.to_string(index=False, justify="left", formatters=left) + more


class Listing(list[T]):
    """A list of results shown as a table: one row per item, one column per entry of `columns`."""

    def __init__(self, items: Iterable[T], columns: dict[str, Callable[[T], Any]], empty: str) -> None:
        super().__init__(items)
        self._columns, self._empty = columns, empty

    def table(self) -> pd.DataFrame:
        """The table a notebook shows (text cells, made to be read)."""
        rows = [{name: cell(item) for name, cell in self._columns.items()} for item in self]
        return pd.DataFrame(rows, columns=list(self._columns), dtype=object)

    def __repr__(self) -> str:
        return text_table(self.table(), self._empty)

    def _repr_html_(self) -> str:
        return html_table(self.table(), self._empty)


def changes(values: dict[str, Any]) -> str:
    """An audit entry's changes in a line: `plan: free → pro; rows: 5000`."""
    parts = []
    for name, value in values.items():
        if isinstance(value, dict) and set(value) == {"old", "new"}:
            parts.append(f"{name}: {value['old']} → {value['new']}")
        elif isinstance(value, list):
            parts.append(f"{name}: {', '.join(map(str, value))}")
        else:
            parts.append(f"{name}: {value}")
    return "; ".join(parts)


def audit_entries(entries: Iterable[Any]) -> Listing[Any]:
    """Audit entries, oldest first, as a table: when (readable), who, what, which rows, the changes."""
    return Listing(
        entries,
        {
            "id": lambda a: a.id,
            "at": lambda a: moment(a.at),
            "actor": lambda a: a.actor,
            "action": lambda a: a.action,
            "rows": lambda a: f"{a.entity_id}..{a.last_entity_id}" if a.last_entity_id else a.entity_id,
            "changes": lambda a: changes(a.changes),
        },
        "no audit entries",
    )
