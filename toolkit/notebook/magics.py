"""IPython magics: `%%qa_sql`, `%qa_migrate` and `%qa_schema` (load with `%load_ext toolkit`)."""

from __future__ import annotations

from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from toolkit.errors import QueAccountError
from toolkit.services.sql_params import parameters

MIGRATE_ACTIONS = ("upgrade", "downgrade", "current", "history", "check", "status")


@magics_class
class QueAccountMagics(Magics):
    @magic_arguments()
    @argument("-o", "--out", metavar="VAR", help="also store the resulting DataFrame in this variable")
    @argument("--write", action="store_true", help="allow writes (default: a read-only transaction)")
    @cell_magic
    def qa_sql(self, line: str, cell: str) -> Any:
        """Run the cell as SQL; `:name` is bound from the notebook variable `name`. Returns a DataFrame."""
        from toolkit.notebook.facade import current

        args = parse_argstring(self.qa_sql, line)
        namespace = self.shell.user_ns if self.shell is not None else {}
        params = {}
        for name in parameters(cell):  # as PostgreSQL reads the text: ':x' in a string is no parameter
            if name not in namespace:
                raise UsageError(f"%%qa_sql: :{name} is not a variable in this notebook")
            params[name] = namespace[name]
        frame = current().sql(cell, write=args.write, **params)
        if args.out:
            namespace[args.out] = frame
        return frame

    @line_magic
    def qa_migrate(self, line: str) -> Any:
        """`%qa_migrate [upgrade [REV] | downgrade REV | current | history | check | status]` ."""
        from toolkit.notebook.facade import current

        words = line.split()
        action, rest = (words[0], words[1:]) if words else ("status", [])
        if action not in MIGRATE_ACTIONS:
            raise UsageError(
                f"%qa_migrate: unknown action {action!r}; use one of {', '.join(MIGRATE_ACTIONS)}"
            )
        migrations = current().migrations
        if action == "upgrade":
            return migrations.upgrade(*rest[:1])
        if action == "downgrade":
            if not rest:
                raise UsageError("%qa_migrate downgrade needs a revision, e.g. -1 or base")
            return migrations.downgrade(rest[0])
        if action == "check":
            return migrations.check()
        if action == "history":
            return migrations.history()
        return migrations.current() if action == "current" else migrations.status()

    @line_magic
    def qa_schema(self, line: str) -> Any:
        """Show the ER diagram of the models as an inline SVG: no JavaScript and no network, so it shows in
        JupyterLab and in an HTML export alike; its text form is the Mermaid source."""
        from toolkit.diagram import Diagram

        return Diagram()


def show_toolkit_error(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: Any = None) -> None:
    """Toolkit errors are messages for people: show the message, not a traceback."""
    print(f"{etype.__name__}: {value}")


def load_ipython_extension(ipython: Any) -> None:
    ipython.register_magics(QueAccountMagics)
    ipython.set_custom_exc((QueAccountError,), show_toolkit_error)
