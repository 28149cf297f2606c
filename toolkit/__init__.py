"""QueAccount data toolkit: accounts in PostgreSQL as pandas DataFrames, safely edited and written back.

>>> import toolkit
>>> qa = toolkit.connect()            # embedded PostgreSQL unless QUEACCOUNT_DATABASE_URL is set
>>> qa.accounts.frame(plan=["pro", "business"])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from toolkit.settings import Settings


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext toolkit`: registers the %%qa_sql, %qa_migrate and %qa_schema magics."""
    from toolkit.notebook.magics import load_ipython_extension as load

    load(ipython)


def __getattr__(name: str) -> Any:
    # Lazy: `import toolkit` stays fast and does no work.
    if name == "connect":
        from toolkit.notebook.facade import connect

        return connect
    if name == "connect_async":
        from toolkit.notebook.aio import connect_async

        return connect_async
    if name == "Settings":
        from toolkit.settings import Settings

        return Settings
    raise AttributeError(f"module 'toolkit' has no attribute {name!r}")


__all__ = ["Settings", "__version__", "connect", "connect_async", "load_ipython_extension"]
