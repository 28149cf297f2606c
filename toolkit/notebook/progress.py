"""Progress bars for long reads and writes; off with `progress=False`.

In a Jupyter kernel the bar is one display (an HTML <progress> with tqdm's text) that is updated in place
and emptied when the work is done, so a saved notebook or its HTML export keeps no stale bar text; this needs
no ipywidgets (whose bars leave their first text, e.g. `reading transaction: 0.00 rows`, as the output's
plain-text form). Elsewhere it is tqdm's text bar on stderr, cleared when done.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from html import escape
from typing import Any

from tqdm.std import tqdm

SHOW_FROM_ROWS = 50_000


def in_kernel() -> bool:
    """Whether this runs in a Jupyter kernel (a notebook), not a terminal."""
    shell = sys.modules["IPython"].get_ipython() if "IPython" in sys.modules else None
    return getattr(shell, "kernel", None) is not None


class Look:
    """How a bar shows in a notebook; an empty one shows nothing."""

    def __init__(self, text: str = "", fraction: float | None = None) -> None:
        self.text, self.fraction = text, fraction

    def _repr_html_(self) -> str:
        if not self.text:
            return ""
        value = f' value="{self.fraction:.3f}"' if self.fraction is not None else ""
        return (
            f'<div class="queaccount-progress"><progress max="1"{value} style="width:14em"></progress> '
            f"<code>{escape(self.text)}</code></div>"
        )

    def __repr__(self) -> str:
        return self.text


class NotebookBar(tqdm):  # type: ignore[misc]  # tqdm has no type hints
    """tqdm's counting and text, shown in one display that is updated in place and emptied on close."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from IPython.display import display

        self.handle = display(Look(), display_id=True)  # type: ignore[no-untyped-call]
        super().__init__(*args, file=io.StringIO(), **kwargs)

    def display(self, msg: str | None = None, pos: int | None = None) -> bool:
        if msg == "":
            self.handle.update(Look())
            return True
        fraction = self.n / self.total if self.total else None
        self.handle.update(Look(self.format_meter(**self.format_dict), fraction))
        return True

    def close(self) -> None:
        super().close()
        self.handle.update(Look())


def bar(**options: Any) -> Any:
    """A bar that leaves nothing behind when closed: NotebookBar in a kernel, tqdm's text bar elsewhere."""
    return NotebookBar(**options) if in_kernel() else tqdm(leave=False, **options)


class Progress:
    """A bar created once the work has passed SHOW_FROM_ROWS rows: nothing shows for short work."""

    def __init__(self, description: str, *, enabled: bool, unit: str = "rows") -> None:
        self.description, self.enabled, self.unit = description, enabled, unit
        self.bar: Any = None
        self.pending = 0

    def __call__(self, n: int) -> None:
        if not self.enabled or n <= 0:
            return
        if self.bar is None:
            self.pending += n
            if self.pending < SHOW_FROM_ROWS:
                return
            self.bar = bar(desc=self.description, unit=f" {self.unit}", unit_scale=True)
            n, self.pending = self.pending, 0
        self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

    def __enter__(self) -> Callable[[int], None]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Stages:
    """A bar over the stages of a bulk write (e.g. checking, writing), shown for frames of 50,000+ rows."""

    def __init__(self, description: str, names: list[str], *, rows: int, enabled: bool) -> None:
        self.names = names
        self.bar: Any = None
        if enabled and rows >= SHOW_FROM_ROWS:
            self.bar = bar(total=len(names), desc=description, unit=" stage")
            self.bar.set_postfix_str(names[0])

    def done(self, name: str) -> None:
        """Mark stage `name` as finished and show the next one."""
        if self.bar is not None:
            self.bar.update(1)
            following = self.names[self.names.index(name) + 1 :]
            if following:
                self.bar.set_postfix_str(following[0])

    def __enter__(self) -> Stages:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()
