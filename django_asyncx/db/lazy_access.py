"""The lazy-access guard: a clear error for a relation or field not loaded, in async code.

In async code, ``book.author`` on a ``Book`` loaded without ``select_related("author")``
would run a query on the event loop; Django refuses with a bare ``SynchronousOnlyOperation``.
With the guard on (``ASYNCX["LAZY_ACCESS_GUARD"]``, the default), the error is a
:class:`~django_asyncx.exceptions.LazyAccessError` (a ``SynchronousOnlyOperation``) that
names the model, the field and the fix. Sync code, including code run through
:func:`~django_asyncx.db.run_in_db` (on either path), loads lazily as usual.

On Django 6.1 the guard is a fetch mode wrapping the default one (``FETCH_ONE``), so a
queryset's own ``.fetch_mode(...)`` replaces it; on Django 5.2 it wraps the lazy-loading
paths of the forward, one-to-one and deferred-field descriptors.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from typing import Any

from django.db.models import Model

from django_asyncx.exceptions import LazyAccessError

__all__ = ["in_async_context", "install", "lazy_access_error", "uninstall"]


def in_async_context() -> bool:
    """Whether a lazy load here would run on an event loop (and Django would refuse it)."""
    if os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE"):
        return False
    # Sync code in the native engine's greenlet loads lazily through asyncpg: not a problem.
    native = sys.modules.get("django_asyncx.db.greenlet")
    if native is not None and native.in_greenlet():
        return False
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def lazy_access_error(instance: Model, name: str, *, deferred: bool) -> LazyAccessError:
    """The error for reading ``instance.<name>`` that is not loaded, with the fix."""
    model = type(instance).__name__
    if deferred:
        return LazyAccessError(
            f"{model}.{name} was deferred (only()/defer()) and is not loaded; loading it "
            f"would run a query on the event loop. Include it in only('{name}', ...) or drop "
            f"it from defer(), or await obj.arefresh_from_db(fields=['{name}'])."
        )
    return LazyAccessError(
        f"{model}.{name} is not loaded; loading it would run a query on the event loop. "
        f"Load it with the queryset: select_related('{name}') or prefetch_related('{name}'), "
        f"or with aresolve({{...: Related(obj, '{name}')}}), or read it inside run_in_db()."
    )


_undo: list[Callable[[], None]] = []


def install() -> None:
    """Turn the guard on (idempotent). The AppConfig calls it when the setting is on."""
    if _undo:
        return
    try:
        from django.db.models import fetch_modes  # noqa: F401
    except ImportError:
        _install_descriptors()
    else:
        _install_fetch_mode()


def uninstall() -> None:
    """Turn the guard off, restoring Django's own behaviour."""
    while _undo:
        _undo.pop()()


def _patch(owner: Any, name: str, value: Any) -> None:
    """Set a class attribute or a module global, remembering how to undo it."""
    original = vars(owner)[name]
    setattr(owner, name, value)
    _undo.append(lambda: setattr(owner, name, original))


def _install_fetch_mode() -> None:
    from django.db.models import query
    from django.db.models.base import ModelState
    from django.db.models.fetch_modes import FETCH_ONE, FetchMode
    from django.db.models.query_utils import DeferredAttribute

    class AsyncGuard(FetchMode):
        """Raise :class:`LazyAccessError` in async code, else fetch like ``inner``."""

        __slots__ = ("inner",)

        def __init__(self, inner: Any) -> None:
            self.inner = inner

        @property
        def track_peers(self) -> bool:  # type: ignore[override]
            return bool(self.inner.track_peers)

        def fetch(self, fetcher: Any, instance: Any) -> None:
            if in_async_context():
                deferred = isinstance(fetcher, DeferredAttribute)
                name = fetcher.field.attname if deferred else _relation_name(fetcher)
                raise lazy_access_error(instance, name, deferred=deferred)
            self.inner.fetch(fetcher, instance)

        def __reduce__(self) -> tuple[Any, ...]:
            return (_guard, (self.inner,))

    global _guard_class
    _guard_class = AsyncGuard
    default = AsyncGuard(FETCH_ONE)

    class DefaultFetchMode:
        def __get__(self, state: Any, cls: Any = None) -> Any:
            if state is None:
                return self
            state.fetch_mode = default
            return default

    _patch(query, "DEFAULT_FETCH_MODE", default)
    _patch(ModelState, "fetch_mode", DefaultFetchMode())


_guard_class: Any = None


def _guard(inner: Any) -> Any:
    """Unpickle a guarded fetch mode (querysets in a cache keep their fetch mode)."""
    if _guard_class is None:
        return inner
    return _guard_class(inner)


def _relation_name(fetcher: Any) -> str:
    related = getattr(fetcher, "related", None)
    if related is not None:  # reverse one-to-one: the accessor on this side
        return str(related.get_accessor_name())
    return str(fetcher.field.name)


def _install_descriptors() -> None:
    from django.db.models.fields.related_descriptors import (
        ForwardManyToOneDescriptor,
        ReverseOneToOneDescriptor,
    )
    from django.db.models.query_utils import DeferredAttribute

    forward_get_object = ForwardManyToOneDescriptor.get_object
    reverse_get = ReverseOneToOneDescriptor.__get__
    deferred_get = DeferredAttribute.__get__

    def get_object(self: Any, instance: Any) -> Any:
        if in_async_context():
            raise lazy_access_error(instance, self.field.name, deferred=False)
        return forward_get_object(self, instance)

    def reverse_one_to_one_get(self: Any, instance: Any, cls: Any = None) -> Any:
        if (
            instance is not None
            and not self.related.is_cached(instance)
            and instance.pk is not None
            and in_async_context()
        ):
            raise lazy_access_error(instance, self.related.get_accessor_name(), deferred=False)
        return reverse_get(self, instance, cls)

    def deferred_attribute_get(self: Any, instance: Any, cls: Any = None) -> Any:
        if (
            instance is not None
            and self.field.attname not in instance.__dict__
            and in_async_context()
            and self._check_parent_chain(instance) is None
        ):
            raise lazy_access_error(instance, self.field.attname, deferred=True)
        return deferred_get(self, instance, cls)

    _patch(ForwardManyToOneDescriptor, "get_object", get_object)
    _patch(ReverseOneToOneDescriptor, "__get__", reverse_one_to_one_get)
    _patch(DeferredAttribute, "__get__", deferred_attribute_get)
