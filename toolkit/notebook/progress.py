"""Progress bars for long reads and writes (tqdm's notebook-aware bar); off with `progress=False`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Progress:
    """A lazily created bar: nothing shows for short work."""

    def __init__(self, description: str, *, enabled: bool, unit: str = "rows") -> None:
        self.description, self.enabled, self.unit = description, enabled, unit
        self.bar: Any = None

    def __call__(self, n: int) -> None:
        if not self.enabled or n <= 0:
            return
        if self.bar is None:
            from tqdm.auto import tqdm

            self.bar = tqdm(desc=self.description, unit=f" {self.unit}", unit_scale=True, leave=False)
        self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

    def __enter__(self) -> Callable[[int], None]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def stages(description: str, names: list[str], *, enabled: bool) -> Any:
    """A bar over named stages of a bulk write (check, copy, write)."""
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=len(names), desc=description, unit=" stage", leave=False)
