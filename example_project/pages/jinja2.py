"""The Jinja2 environment of the example pages: an async filter and an async global."""

from __future__ import annotations

from typing import Any

from demo.models import Book
from jinja2 import Environment

from django_asyncx.db import run_in_db


async def book_count(author_id: int) -> int:
    """``{{ book_count(author.pk) }}``: a query through the DB bridge, awaited by Jinja2."""
    return await run_in_db(Book.objects.filter(author_id=author_id).count)


async def price_label(value: Any) -> str:
    """``{{ book.price|price_label }}``: an async filter (it could call a currency service)."""
    return f"${value}"


def environment(**options: Any) -> Environment:
    """``OPTIONS["environment"]`` of the Jinja2 engine."""
    env = Environment(**options)
    env.globals["book_count"] = book_count
    env.filters["price_label"] = price_label
    return env
