"""Load what a page needs from async code, concurrently, in as few bridge calls as possible.

::

    from django_asyncx.db import Related, agather, alist, aresolve

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

import asyncio
import inspect
from collections.abc import Awaitable, Iterable, Mapping
from typing import Any

from django.db.models import Model, QuerySet, prefetch_related_objects

from django_asyncx.db.bridge import run_in_db

__all__ = ["Related", "agather", "alist", "aresolve"]


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


async def aresolve(mapping: Mapping[str, Any], /) -> dict[str, Any]:
    """Resolve every value of ``mapping`` concurrently; return a new dict.

    A ``QuerySet`` becomes its list (one bridge call each, so they run in parallel up to the
    ``db`` pool size; inside ``async with atomic()`` one after the other in the
    transaction); a :class:`Related` loads its relations; an awaitable is awaited; any other
    value is kept as is. If one fails, the others are cancelled and the error is raised.
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
        elif inspect.isawaitable(value):
            pending.append(value)
        else:
            continue
        keys.append(key)
    for key, result in zip(keys, await agather(*pending), strict=True):
        resolved[key] = result
    return resolved


async def agather(*awaitables: Awaitable[Any], limit: int | None = None) -> list[Any]:
    """Await ``awaitables`` concurrently, at most ``limit`` at a time; results in order.

    Unlike ``asyncio.gather``, nothing is left behind: if one raises (or the caller is
    cancelled), the others are cancelled, coroutines not started yet are closed, and the
    first error is raised once all have stopped.
    """
    if limit is not None and not _positive_int(limit):
        _discard(awaitables)
        raise ValueError(f"agather(limit=...) takes None or a positive int, got {limit!r}")
    given: tuple[object, ...] = awaitables  # checked at run time: callers are not all typed
    for index, item in enumerate(given):
        if not inspect.isawaitable(item):
            _discard(awaitables)
            raise TypeError(f"agather() argument {index} is not awaitable: {item!r}")
    results: list[Any] = [None] * len(awaitables)
    order = iter(range(len(awaitables)))
    started: set[int] = set()

    async def worker() -> None:
        for index in order:
            started.add(index)
            results[index] = await awaitables[index]

    count = len(awaitables) if limit is None else min(limit, len(awaitables))
    workers = [asyncio.ensure_future(worker()) for _ in range(count)]
    done: set[asyncio.Task[None]] = set()
    try:
        if workers:
            done, _ = await asyncio.wait(workers, return_when=asyncio.FIRST_EXCEPTION)
    finally:
        for task in workers:
            task.cancel()
        # Wait for them all to stop; this also retrieves every worker's outcome.
        await asyncio.gather(*workers, return_exceptions=True)
        _discard([item for i, item in enumerate(awaitables) if i not in started])
    for task in done:
        if not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]
    return results


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _discard(awaitables: Iterable[object]) -> None:
    """Close coroutines and cancel futures that will never be awaited."""
    for item in awaitables:
        if inspect.iscoroutine(item):
            item.close()
        elif isinstance(item, asyncio.Future):
            item.cancel()
