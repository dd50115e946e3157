"""Django's SQL for asyncpg: ``%s``/``%(name)s`` placeholders rendered as ``$n`` plus a cast.

Each placeholder gets the cast of its value (:mod:`.params`): ``%s`` becomes ``$1::int4``
for an ``int``, plain ``$2`` for a string. The rendered SQL is cached per (SQL, casts).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from .params import adapt_value

__all__ = ["Adapted", "adapt_query", "split_placeholders"]

_PLACEHOLDER = re.compile(r"%(?:\((?P<name>[^)]+)\))?s|%%")


@lru_cache(maxsize=2048)
def split_placeholders(sql: str) -> tuple[tuple[str, ...], tuple[str | None, ...]]:
    """Split Django SQL at its ``%s``/``%(name)s`` placeholders (``%%`` becomes ``%``).

    Returns the literal parts (one more than the placeholders) and each placeholder's name
    (``None`` for positional ones).
    """
    parts: list[str] = []
    names: list[str | None] = []
    current: list[str] = []
    position = 0
    for match in _PLACEHOLDER.finditer(sql):
        current.append(sql[position : match.start()])
        position = match.end()
        if match.group(0) == "%%":
            current.append("%")
            continue
        parts.append("".join(current))
        current = []
        names.append(match.group("name"))
    current.append(sql[position:])
    parts.append("".join(current))
    return tuple(parts), tuple(names)


class Adapted:
    """A query ready for asyncpg: SQL with ``$n`` placeholders and the argument list."""

    __slots__ = ("args", "sql")

    def __init__(self, sql: str, args: list[Any]) -> None:
        self.sql = sql
        self.args = args


@lru_cache(maxsize=4096)
def _render(sql: str, casts: tuple[str, ...], order: tuple[int, ...] | None) -> str:
    parts, _names = split_placeholders(sql)
    out = [parts[0]]
    for index, part in enumerate(parts[1:]):
        number = order[index] if order is not None else index
        out.append(f"${number + 1}{casts[number]}")
        out.append(part)
    return "".join(out)


def adapt_query(sql: str, params: Sequence[Any] | Mapping[str, Any] | None) -> Adapted:
    """Rewrite Django SQL and parameters for asyncpg (see the module docstring).

    ``params=None`` leaves the SQL untouched (``%`` included), as psycopg does.
    """
    if params is None:
        return Adapted(sql, [])
    _parts, names = split_placeholders(sql)
    order: tuple[int, ...] | None = None
    if isinstance(params, Mapping):
        unique: dict[str, int] = {}
        for name in names:
            if name is None:
                raise TypeError("query mixes %s and %(name)s placeholders")
            unique.setdefault(name, len(unique))
        order = tuple(unique[name] for name in names)  # type: ignore[index]
        values = [params[name] for name in unique]
    else:
        if any(name is not None for name in names):
            raise TypeError("query has %(name)s placeholders but the parameters are a sequence")
        values = list(params)
        if len(values) != len(names):
            raise TypeError(
                f"the query has {len(names)} placeholders but {len(values)} parameters were passed"
            )
    casts: list[str] = []
    args: list[Any] = []
    for value in values:
        cast, arg = adapt_value(value)
        casts.append(cast)
        args.append(arg)
    return Adapted(_render(sql, tuple(casts), order), args)
