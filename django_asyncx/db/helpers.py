"""Load what a page needs from async code, concurrently, in as few bridge calls as possible.

::

    from django_asyncx.db import Related, alist, aresolve

    books = await alist(Book.objects.select_related("author").prefetch_related("tags"))
    context = await aresolve({
        "books": Book.objects.order_by("-published")[:10],   # a queryset: a list
        "author": Related(author, "books", "awards"),        # relations loaded on an instance
        "weather": client.get_forecast(),                    # any awaitable: its result
        "title": "Home",                                     # anything else: as is
    })

Django already has ``aget_object_or_404`` and ``aget_list_or_404``
(``django.shortcuts``); use those.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import AsyncGenerator, Awaitable, Iterable, Mapping
from typing import Any

from django.db.models import Model, QuerySet, prefetch_related_objects

from django_asyncx.concurrency import gather
from django_asyncx.db.bridge import run_in_db

__all__ = ["Related", "agather", "alist", "aresolve", "needs_resolving"]


async def alist[M: Model](queryset: QuerySet[M], /) -> list[M]:
    """Evaluate ``queryset`` in one bridge call, prefetches included; return the list."""
    if not isinstance(queryset, QuerySet):
        raise TypeError(f"alist() takes a QuerySet, got {type(queryset).__name__} {queryset!r}")
    return await run_in_db(list, queryset, using=queryset.db)


class Related:
    """An :func:`aresolve` value: load ``lookups`` on a model instance (or a list of them).

    The lookups are those of ``prefetch_related`` (forward and reverse foreign keys,
    many-to-many, ``Prefetch`` objects, ``"a__b"`` chains); they are loaded in one bridge
    call and the instance (or list) is the resolved value.
    """

    __slots__ = ("instances", "lookups")

    def __init__(self, instances: Model | Iterable[Model], /, *lookups: Any) -> None:
        if not lookups:
            raise TypeError("Related() needs at least one lookup, e.g. Related(book, 'author')")
        self.instances = instances
        self.lookups = lookups

    def __repr__(self) -> str:
        return f"Related({self.instances!r}, {', '.join(map(repr, self.lookups))})"

    def _load(self) -> Model | list[Model]:
        if isinstance(self.instances, Model):
            prefetch_related_objects([self.instances], *self.lookups)
            return self.instances
        instances = list(self.instances)
        prefetch_related_objects(instances, *self.lookups)
        return instances


def needs_resolving(value: object, /) -> bool:
    """Whether :func:`aresolve` replaces ``value`` (a queryset, ``Related``, awaitable...)."""
    return (
        isinstance(value, QuerySet | Related)
        or inspect.isawaitable(value)
        or inspect.isasyncgen(value)
    )


async def aresolve(mapping: Mapping[str, Any], /) -> dict[str, Any]:
    """Resolve every value of ``mapping`` concurrently; return a new dict.

    A ``QuerySet`` becomes its list (one bridge call each, so they run in parallel up to the
    ``db`` pool size; inside ``async with atomic()`` one after the other in the
    transaction); a :class:`Related` loads its relations; an awaitable is awaited; an async
    generator is collected into a list; any other value is kept as is. If one fails, the
    others are cancelled and its error is raised, with a note naming its key.
    """
    if not isinstance(mapping, Mapping):
        raise TypeError(f"aresolve() takes a mapping, got {type(mapping).__name__}")
    keys: list[str] = []
    pending: list[Awaitable[Any]] = []
    resolved = dict(mapping)
    for key, value in mapping.items():
        if isinstance(value, QuerySet):
            pending.append(alist(value))
        elif isinstance(value, Related):
            pending.append(run_in_db(value._load))
        elif inspect.isasyncgen(value):
            pending.append(_collect(value))
        elif inspect.isawaitable(value):
            pending.append(value)
        else:
            continue
        keys.append(key)
    # gather() starts every awaitable at once (no limit), so each wrapper awaits its value.
    results = await gather(*map(_keyed, keys, pending))
    for key, result in zip(keys, results, strict=True):
        resolved[key] = result
    return resolved


async def _keyed(key: str, awaitable: Awaitable[Any]) -> Any:
    try:
        return await awaitable
    except Exception as exc:
        exc.add_note(f"while resolving key {key!r}")
        raise


async def _collect(generator: AsyncGenerator[Any, Any]) -> list[Any]:
    return [item async for item in generator]


async def agather(*awaitables: Awaitable[Any], limit: int | None = None) -> list[Any]:
    """Deprecated: :func:`django_asyncx.concurrency.gather`, which takes the same arguments."""
    warnings.warn(
        "django_asyncx.db.agather() is deprecated; use django_asyncx.concurrency.gather()",
        DeprecationWarning,
        stacklevel=2,
    )
    return await gather(*awaitables, limit=limit)
