"""Django's SQL for asyncpg: placeholders parsed by psycopg, rendered as ``$n`` plus a cast.

psycopg's own parser (``psycopg._queries``) splits the SQL at ``%s``/``%b``/``%t``/
``%(name)s`` and validates the parameters, so misuse raises exactly what psycopg raises.
Each placeholder then gets the cast of its value (:mod:`.params`): ``%s`` becomes
``$1::int4`` for an ``int``, plain ``$2`` for a string, and ``NULL`` in place for ``None``
(a bare ``$n`` for ``None`` has no type the server can infer in ``%s IS NULL``).

Some queries cannot be bound on the server the way psycopg's client-side binding runs them.
A small lexer (:func:`scan`, cached per SQL) finds them, and they are composed on the client
with psycopg's literals, which is what Django's default psycopg setup sends:

* a placeholder inside a string literal, a quoted identifier, a comment or a ``$$`` body;
* more than 32,767 parameters (the protocol's limit for bound arguments);
* several statements with parameters (a prepared statement holds one).

Ticket 34255: bound on the server, the same value in SELECT and GROUP BY is ``$1`` and
``$2``, two different expressions to the server. For SQL with ``GROUP BY``, ``DISTINCT`` or
``HAVING``, equal typed values share one ``$n``, and equal strings (untyped, so a shared
``$n`` could get two types) are written in place as literals.
"""

from __future__ import annotations

import datetime
import decimal
import re
import uuid
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, NamedTuple

from django.core.exceptions import ImproperlyConfigured

from .params import adapt_value, literal_transformer

try:
    # Private to psycopg: imported here only, and pinned by tests of its behaviour.
    from psycopg._queries import PostgresQuery, QueryPart, _split_query
except ImportError as exc:  # pragma: no cover - depends on the installed psycopg
    import psycopg

    raise ImproperlyConfigured(
        f"the native PostgreSQL engine needs psycopg's query parser (psycopg >= 3.2); "
        f"psycopg {psycopg.__version__} is installed"
    ) from exc

__all__ = ["MAX_ARGS", "Adapted", "Scan", "adapt_query", "compose", "scan", "split_placeholders"]

# The extended protocol counts bound arguments in an int16.
MAX_ARGS = 32767

Token = str | tuple[str, Any]
"""How one value is written: its cast (bound as ``$n``), ``("L", literal)`` or ``("=", k)``
(the same ``$n`` as value ``k``)."""


class Scan(NamedTuple):
    """What the lexer found in one SQL string."""

    outside: tuple[tuple[int, int], ...]
    """Byte spans of string literals, quoted identifiers, comments and ``$$`` bodies."""
    statements: int
    """Top-level statements (``;``-separated, empty ones not counted)."""
    groups: bool
    """Whether the code (outside literals and comments) has GROUP BY, DISTINCT or HAVING."""


_SPECIAL = re.compile(rb"['\"$;]|--|/\*")
_DOLLAR_TAG = re.compile(rb"\$(?:[A-Za-z_\x80-\xff][A-Za-z0-9_\x80-\xff]*)?\$")
_GROUPS = re.compile(rb"\b(?:GROUP\s+BY|DISTINCT|HAVING)\b", re.IGNORECASE)


def _identifier_byte(byte: int) -> bool:
    return byte >= 0x80 or chr(byte).isalnum() or byte in b"_$"


def _quoted_end(sql: bytes, start: int, quote: int, backslash: bool) -> int:
    index = start + 1
    while index < len(sql):
        byte = sql[index]
        if backslash and byte == 0x5C:
            index += 2
            continue
        if byte == quote:
            if index + 1 < len(sql) and sql[index + 1] == quote:
                index += 2
                continue
            return index + 1
        index += 1
    return len(sql)


def _comment_end(sql: bytes, start: int) -> int:
    depth, index = 1, start + 2
    while depth and index < len(sql):
        pair = sql[index : index + 2]
        if pair == b"/*":
            depth, index = depth + 1, index + 2
        elif pair == b"*/":
            depth, index = depth - 1, index + 2
        else:
            index += 1
    return min(index, len(sql))


@lru_cache(maxsize=2048)
def scan(sql: bytes) -> Scan:
    """Find literals, comments and statements in ``sql`` (PostgreSQL's lexical rules)."""
    outside: list[tuple[int, int]] = []
    code: list[bytes] = []
    statements, pending, index = 0, False, 0
    while (match := _SPECIAL.search(sql, index)) is not None:
        start = match.start()
        chunk = sql[index:start]
        code.append(chunk)
        pending = pending or bool(chunk.strip())
        token = match.group()
        end = start + len(token)
        if token == b";":
            statements, pending = statements + pending, False
            code.append(b";")
        elif token == b"'":
            escaped = start > 0 and sql[start - 1] in b"eE"
            escaped = escaped and (start < 2 or not _identifier_byte(sql[start - 2]))
            end, pending = _quoted_end(sql, start, 0x27, escaped), True
            outside.append((start, end))
        elif token == b'"':
            end, pending = _quoted_end(sql, start, 0x22, False), True
            outside.append((start, end))
        elif token == b"--":
            newline = sql.find(b"\n", end)
            end = len(sql) if newline < 0 else newline
            outside.append((start, end))
        elif token == b"/*":
            end = _comment_end(sql, start)
            outside.append((start, end))
        elif start == 0 or not _identifier_byte(sql[start - 1]):
            tag = _DOLLAR_TAG.match(sql, start)
            if tag is not None:
                close = sql.find(tag.group(), tag.end())
                end, pending = (len(sql) if close < 0 else close + len(tag.group())), True
                outside.append((start, end))
            else:
                code.append(token)
        else:
            code.append(token)
        code.append(b" ")
        index = end
    tail = sql[index:]
    code.append(tail)
    statements += pending or bool(tail.strip())
    return Scan(tuple(outside), statements, bool(_GROUPS.search(b"".join(code))))


class _Parsed(NamedTuple):
    parts: list[QueryPart]
    pre: tuple[str, ...]
    order: list[str] | None
    slots: tuple[int, ...]
    in_code: bool
    statements: int
    groups: bool


def _placeholder_size(part: QueryPart, encoding: str) -> int:
    # %s / %b / %t, or %(name)s with its name.
    return 2 if isinstance(part.item, int) else len(part.item.encode(encoding)) + 4


@lru_cache(maxsize=2048)
def _parse(sql: str) -> _Parsed:
    data = sql.encode()
    raw_parts = _split_query(data, "utf-8", collapse_double_percent=False)
    parts = [QueryPart(part.pre.replace(b"%%", b"%"), part.item, part.format) for part in raw_parts]
    found = scan(data)
    in_code, offset = True, 0
    for part in raw_parts[:-1]:
        offset += len(part.pre)
        in_code = in_code and not any(start <= offset < end for start, end in found.outside)
        offset += _placeholder_size(part, "utf-8")
    order: list[str] | None = None
    if parts and isinstance(parts[0].item, str):
        # Named placeholders: one value per name, in order of first use (psycopg's order).
        names = dict.fromkeys(str(part.item) for part in parts[:-1])
        order = list(names)
        index = {name: number for number, name in enumerate(order)}
        slots = tuple(index[str(part.item)] for part in parts[:-1])
    else:
        slots = tuple(range(len(parts) - 1))
    return _Parsed(
        parts,
        tuple(part.pre.decode() for part in parts),
        order,
        slots,
        in_code,
        found.statements,
        found.groups,
    )


def split_placeholders(sql: str) -> tuple[tuple[str, ...], tuple[str | None, ...]]:
    """Split Django SQL at its placeholders (``%%`` becomes ``%``), as psycopg does.

    Returns the literal parts (one more than the placeholders) and each placeholder's name
    (``None`` for positional ones).
    """
    parsed = _parse(sql)
    names = tuple(part.item if isinstance(part.item, str) else None for part in parsed.parts)
    return parsed.pre, names[:-1]


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    return bytes(literal_transformer().as_literal(value)).decode()


def compose(sql: str, params: Sequence[Any] | Mapping[str, Any] | None) -> str:
    """``sql`` with ``params`` written in as psycopg's client-side binding writes them."""
    if params is None:
        return sql
    parsed = _parse(sql)
    values = PostgresQuery.validate_and_reorder_params(parsed.parts, params, parsed.order)
    return _compose(parsed, values)


def _compose(parsed: _Parsed, values: Sequence[Any]) -> str:
    out = [parsed.pre[0]]
    for slot, pre in zip(parsed.slots, parsed.pre[1:], strict=True):
        out.append(_literal(values[slot]))
        out.append(pre)
    return "".join(out)


# Types whose equal values are the same literal (ticket 34255): the key is (type, value).
_BY_VALUE = frozenset({int, bool, str, uuid.UUID, datetime.date, datetime.timedelta, bytes})


def _same_value_key(value: Any) -> Any:
    kind = type(value)
    if kind is decimal.Decimal:
        return kind, str(value)  # 1.0 == 1.00, but their scales differ
    if kind is float:
        return kind, repr(value)
    if kind is datetime.datetime or kind is datetime.time:
        return kind, value.isoformat()
    if kind in _BY_VALUE or kind.__module__ == "psycopg.types.numeric":
        return kind, value
    return None


class Adapted:
    """A query ready for asyncpg: SQL with ``$n`` placeholders and the argument list.

    ``simple`` says the SQL is a script of several statements, composed on the client, for
    the simple query protocol.
    """

    __slots__ = ("_key", "args", "simple", "sql")

    def __init__(
        self,
        sql: str,
        args: list[Any],
        *,
        simple: bool = False,
        key: tuple[str, tuple[Token, ...]] | None = None,
    ) -> None:
        self.sql = sql
        self.args = args
        self.simple = simple
        self._key = key

    def render(self, extra: Mapping[int, str]) -> str | None:
        """The SQL again, with ``extra[i]`` appended to argument ``i``'s cast (``None``
        when it has no bound arguments)."""
        if self._key is None:
            return None
        sql, tokens = self._key
        out: list[Token] = []
        number = 0
        for token in tokens:
            if isinstance(token, str):
                token = token + extra.get(number, "")
                number += 1
            out.append(token)
        return _render(sql, tuple(out))


@lru_cache(maxsize=4096)
def _render(sql: str, tokens: tuple[Token, ...]) -> str:
    parsed = _parse(sql)
    written: list[str] = []
    number = 0
    for token in tokens:
        if isinstance(token, str):
            number += 1
            written.append(f"${number}{token}")
        elif token[0] == "=":
            written.append(written[token[1]])
        else:
            written.append(token[1])
    out = [parsed.pre[0]]
    for slot, pre in zip(parsed.slots, parsed.pre[1:], strict=True):
        out.append(written[slot])
        out.append(pre)
    return "".join(out)


def _tokens(parsed: _Parsed, values: Sequence[Any]) -> tuple[list[Token], list[Any]]:
    tokens: list[Token] = []
    args: list[Any] = []
    seen: dict[Any, int] = {}
    repeated: set[int] = set()
    if parsed.groups:
        for index, value in enumerate(values):
            key = _same_value_key(value)
            if key is not None:
                first = seen.setdefault(key, index)
                if first != index:
                    repeated.add(first)
    for index, value in enumerate(values):
        if value is None:
            tokens.append(("L", "NULL"))
            continue
        cast, arg = adapt_value(value)
        key = _same_value_key(value) if repeated else None
        first = seen.get(key, index) if key is not None else index
        if first in repeated or first != index:
            if not cast:
                # Untyped (a string): a literal in each place, as psycopg writes it.
                tokens.append(("L", _literal(value)))
                continue
            if first != index:
                tokens.append(("=", first))
                continue
        tokens.append(cast)
        args.append(arg)
    return tokens, args


def adapt_query(sql: str, params: Sequence[Any] | Mapping[str, Any] | None) -> Adapted:
    """Rewrite Django SQL and parameters for asyncpg (see the module docstring).

    ``params=None`` leaves the SQL untouched (``%`` included), as psycopg does.
    """
    if params is None:
        return Adapted(sql, [], simple=scan(sql.encode()).statements > 1)
    parsed = _parse(sql)
    values = PostgresQuery.validate_and_reorder_params(parsed.parts, params, parsed.order)
    if not parsed.in_code or len(values) > MAX_ARGS or parsed.statements > 1:
        return Adapted(_compose(parsed, values), [], simple=parsed.statements > 1)
    tokens, args = _tokens(parsed, values)
    key = (sql, tuple(tokens))
    return Adapted(_render(*key), args, key=key)
