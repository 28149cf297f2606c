"""`:name` parameters in an analyst's SQL, found the way PostgreSQL reads the text.

A `:name` inside a string, a quoted identifier, a comment or a dollar-quoted body is text, not a parameter;
`::type` is a cast, so `:n::int` is the parameter `n` cast to int. Every parameter the statement uses must be
given and every one given must be used; `$1` placeholders are refused (values are bound by name).
"""

from __future__ import annotations

import re
from typing import Any

from toolkit.errors import Issue, ValidationFailed
from toolkit.frames.text import UNSTORABLE, storable

TOKEN = re.compile(
    r"""
      (?<![\w$])[eE]'(?:[^'\\]|\\.|'')*'                        # an escape string, E'it\'s'
    | '(?:[^']|'')*'                                            # a string
    | "(?:[^"]|"")*"                                            # a quoted identifier
    | --[^\n]*                                                  # a line comment
    | /\*.*?\*/                                                 # a block comment
    | (?<![\w$])\$(?P<tag>(?:[A-Za-z_]\w*)?)\$.*?\$(?P=tag)\$  # a dollar-quoted body
    | ::                                                        # a cast
    | (?<![\w$]):(?P<name>[A-Za-z_]\w*)                         # a parameter
    | (?<![\w$])\$(?P<position>\d+)                             # a positional placeholder
    | %                                                         # the driver's placeholder sign
    """,
    re.VERBOSE | re.DOTALL,
)


def parameters(statement: str) -> list[str]:
    """The `:name` parameters of `statement`, in order of first use (none inside strings or comments)."""
    return list(dict.fromkeys(m["name"] for m in TOKEN.finditer(statement) if m["name"]))


def bind(statement: str, params: dict[str, Any]) -> str:
    """`statement` with its `:name` parameters in the driver's form; every one given, none left over."""
    used: list[str] = []
    positional: list[str] = []

    def replace(match: re.Match[str]) -> str:
        if match["name"]:
            used.append(match["name"])
            return f"%({match['name']})s"
        if match["position"]:
            positional.append(match[0])
        return match[0].replace("%", "%%")  # the driver reads every % as a placeholder, quoted or not

    sql = TOKEN.sub(replace, statement)
    names = set(used)
    issues = [Issue(None, n, f"the statement uses :{n}; pass {n}=...") for n in sorted(names - set(params))]
    issues += [Issue(None, n, f"the statement has no :{n}") for n in sorted(set(params) - names)]
    issues += [
        Issue(None, p, f"qa.sql() binds values by name: write :name in the statement and pass name=... ({p})")
        for p in dict.fromkeys(positional)
    ]
    issues += [Issue(None, n, UNSTORABLE) for n, v in params.items() if not sendable_text(v)]
    if not storable(statement):
        issues.append(Issue(None, "statement", UNSTORABLE))
    if issues:
        raise ValidationFailed(issues)
    return sql


def sendable_text(value: Any) -> bool:
    """Whether the text in `value` (or in the list it is) can reach the database: the driver would raise
    its own error for a NUL or an unpaired surrogate."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, list | tuple):
        return all(sendable_text(v) for v in value)
    return True
