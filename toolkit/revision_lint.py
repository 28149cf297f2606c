"""`python -m toolkit.revision_lint FILE`: make a newly written revision file lint-clean with ruff.

Alembic runs it on every new revision (the `post_write_hooks` of `alembic.ini` and of
`toolkit.migrations.config()`): `ruff check --fix`, then `ruff format`, with the ruff settings of the project
the file sits in. Without ruff (installed without the dev extra) the file stays as generated, and one line
on stderr says so.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path


def ruff() -> str | None:
    """The ruff executable: the one installed beside this Python, else the first on PATH; None without."""
    return shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")


def lint(path: str) -> str | None:
    """Fix and format `path` in place; returns a one-line warning when ruff is not there to do it."""
    executable = ruff()
    if executable is None:
        return (
            f"ruff is not installed, so {path} is left as generated "
            "(install the dev extra, or run `ruff check --fix` and `ruff format` on it)"
        )
    for step in (["check", "--fix", "--quiet"], ["format", "--quiet"]):
        subprocess.run([executable, *step, path], check=False)
    return None


def main(paths: Sequence[str]) -> int:
    for path in paths:
        warning = lint(path)
        if warning is not None:
            print(f"warning: {warning}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
