"""Progress bars for long reads and writes (tqdm's notebook-aware bar); off with `progress=False`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SHOW_FROM_ROWS = 50_000


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
            from tqdm.auto import tqdm

            self.bar = tqdm(desc=self.description, unit=f" {self.unit}", unit_scale=True, leave=False)
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
            from tqdm.auto import tqdm

            self.bar = tqdm(total=len(names), desc=description, unit=" stage", leave=False)
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
