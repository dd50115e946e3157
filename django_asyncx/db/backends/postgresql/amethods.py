"""Django's own a-methods on the native path: ``await Book.objects.aget(pk=1)`` with no thread.

Django implements ``aget``, ``acreate``, ``async for``, ``asave``... as ``sync_to_async`` of
the sync method: a thread per call. For an alias on the native engine, the methods here run
the same sync method with :func:`~.native.run_native` instead, so it runs in a greenlet on
the loop and joins an enclosing native ``atomic`` block. Other aliases keep Django's path.

Two ways in:

* per model: ``objects = NativeManager()`` (or your QuerySet subclassing
  :class:`NativeQuerySetMixin`) and :class:`NativeModelMixin` for ``asave``/``adelete``/
  ``arefresh_from_db``;
* everywhere: ``ASYNCX["NATIVE_AMETHODS"] = True`` (the default) makes the app install them
  on Django's ``QuerySet``, ``RawQuerySet`` and ``Model`` at startup, when an alias uses the
  native engine (:func:`install`).

With :func:`install`, the related managers of foreign keys, many-to-many fields and generic
relations (``author.books.aadd(...)``, ``aremove``, ``aclear``, ``aset``, ``acreate``,
``aget_or_create``, ``aupdate_or_create``) and ``aprefetch_related_objects()`` take the
native path too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from functools import partial, wraps
from typing import Any, cast

from django.apps import apps
from django.db import models, router
from django.db.models import query as query_module
from django.db.models.fields import related_descriptors
from django.db.models.query import QuerySet, RawQuerySet

from .native import native_iterator, run_native, uses_native_path

__all__ = [
    "NativeManager",
    "NativeModelMixin",
    "NativeQuerySet",
    "NativeQuerySetMixin",
    "install",
    "installed",
    "uninstall",
]

# a-method -> whether it writes (picks the alias the way the sync method will).
QUERYSET_METHODS = {
    "aaggregate": False,
    "acount": False,
    "aget": False,
    "acreate": True,
    "abulk_create": True,
    "abulk_update": True,
    "aget_or_create": True,
    "aupdate_or_create": True,
    "aearliest": False,
    "alatest": False,
    "afirst": False,
    "alast": False,
    "ain_bulk": False,
    "adelete": True,
    "aupdate": True,
    "aexists": False,
    "acontains": False,
    "aexplain": False,
}
MODEL_METHODS = ("asave", "adelete", "arefresh_from_db")

_DJANGO_QUERYSET = {name: getattr(QuerySet, name) for name in QUERYSET_METHODS}
_DJANGO_QUERYSET["__aiter__"] = QuerySet.__aiter__
_DJANGO_QUERYSET["aiterator"] = QuerySet.aiterator
_DJANGO_RAW_AITER = RawQuerySet.__aiter__
_DJANGO_MODEL = {name: getattr(models.Model, name) for name in MODEL_METHODS}
_DJANGO_APREFETCH = query_module.aprefetch_related_objects


def _queryset_alias(queryset: Any, write: bool) -> str:
    if queryset._db:
        return str(queryset._db)
    if write:
        return str(router.db_for_write(queryset.model, **queryset._hints))
    return str(router.db_for_read(queryset.model, **queryset._hints))


def _native_method(
    name: str, django_method: Any, alias_of: Callable[[Any, dict[str, Any]], str]
) -> Callable[..., Coroutine[Any, Any, Any]]:
    """``name``: Django's ``django_method`` for most aliases; for native-engine aliases (as
    ``alias_of(self, kwargs)`` picks them) the sync method, run by :func:`run_native`.

    It wears Django's method's attributes: ``alters_data`` (templates refuse to call it) and
    ``queryset_only`` (``Manager.from_queryset()`` does not copy ``adelete``, which would
    delete the whole table from a manager), and its signature (``__wrapped__``)."""
    sync_name = name[1:]

    @wraps(django_method)
    async def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        alias = alias_of(self, kwargs)
        if not uses_native_path(alias):
            return await django_method(self, *args, **kwargs)
        return await run_native(partial(getattr(self, sync_name), *args, **kwargs), using=alias)

    method.__doc__ = f"Django's ``{name}()``, on the native path for native-engine aliases."
    return method


def _queryset_method(name: str, write: bool) -> Callable[..., Coroutine[Any, Any, Any]]:
    return _native_method(
        name, _DJANGO_QUERYSET[name], lambda queryset, _: _queryset_alias(queryset, write)
    )


async def _fetched(queryset: Any, alias: str) -> AsyncIterator[Any]:
    # Django's __aiter__ fetches the whole result, then yields it: the same, natively.
    await run_native(queryset._fetch_all, using=alias)
    for item in queryset._result_cache:
        yield item


def _aiter(self: Any) -> AsyncIterator[Any]:
    """``async for obj in queryset``: fetched natively for native-engine aliases."""
    alias = _queryset_alias(self, False)
    if not uses_native_path(alias):
        return _DJANGO_QUERYSET["__aiter__"](self)  # type: ignore[no-any-return]
    return _fetched(self, alias)


def _aiterator(self: Any, chunk_size: int = 2000) -> AsyncIterator[Any]:
    """``async for obj in queryset.aiterator()``: streamed natively (server-side cursor,
    ``chunk_size`` rows in memory at a time) for native-engine aliases."""
    alias = _queryset_alias(self, False)
    if not uses_native_path(alias):
        return _DJANGO_QUERYSET["aiterator"](self, chunk_size=chunk_size)  # type: ignore[no-any-return]
    return native_iterator(self, chunk_size=chunk_size, using=alias)


def _raw_aiter(self: Any) -> AsyncIterator[Any]:
    """``async for obj in Model.objects.raw(...)``, natively for native-engine aliases."""
    alias = str(self.db)
    if not uses_native_path(alias):
        return _DJANGO_RAW_AITER(self)
    return _fetched(self, alias)


def _model_alias(instance: Any, name: str, kwargs: dict[str, Any]) -> str:
    using = kwargs.get("using")
    if using:
        return str(using)
    if name == "arefresh_from_db":
        return str(instance._state.db or router.db_for_read(type(instance), instance=instance))
    return str(router.db_for_write(type(instance), instance=instance))


def _model_method(name: str) -> Callable[..., Coroutine[Any, Any, Any]]:
    return _native_method(
        name, _DJANGO_MODEL[name], lambda instance, kwargs: _model_alias(instance, name, kwargs)
    )


RELATED_METHODS = (
    "aadd",
    "aremove",
    "aclear",
    "aset",
    "acreate",
    "aget_or_create",
    "aupdate_or_create",
)
_DJANGO_FACTORIES = (
    related_descriptors.create_reverse_many_to_one_manager,
    related_descriptors.create_forward_many_to_many_manager,
)


def _related_alias(manager: Any, kwargs: dict[str, Any]) -> str:
    return str(manager._db or router.db_for_write(manager.model, instance=manager.instance))


def _native_related(manager_class: type) -> type:
    # Only the a-methods the class has: a reverse FK manager has aremove/aclear only when
    # the foreign key is nullable.
    methods = {
        name: _native_method(name, getattr(manager_class, name), _related_alias)
        for name in RELATED_METHODS
        if hasattr(manager_class, name)
    }
    return type(
        manager_class.__name__,
        (manager_class,),
        {
            **methods,
            "__module__": manager_class.__module__,
            "__qualname__": manager_class.__qualname__,
        },
    )


def _generic_related(superclass: type, rel: Any) -> type:
    from django.contrib.contenttypes import fields

    return _native_related(_django_generic_factory(fields)(superclass, rel))


def _django_generic_factory(fields: Any) -> Any:
    factory = fields.create_generic_related_manager
    return getattr(factory, "django_factory", factory)


async def _aprefetch_related_objects(model_instances: Any, *related_lookups: Any) -> None:
    """Django's ``aprefetch_related_objects()``, natively for native-engine aliases."""
    instances = list(model_instances)
    alias = instances[0]._state.db if instances else None
    if alias is None or not uses_native_path(alias):
        await _DJANGO_APREFETCH(instances, *related_lookups)
        return
    await run_native(
        partial(query_module.prefetch_related_objects, instances, *related_lookups), using=alias
    )


def _reverse_many_to_one(superclass: type, rel: Any) -> type:
    return _native_related(_DJANGO_FACTORIES[0](superclass, rel))


def _forward_many_to_many(superclass: type, rel: Any, reverse: bool) -> type:
    return _native_related(_DJANGO_FACTORIES[1](superclass, rel, reverse))


class NativeQuerySetMixin:
    """Mix into a QuerySet: its a-methods (``aget``, ``acreate``, ``async for``,
    ``aiterator``...) take the native path for aliases on the native engine."""


class NativeModelMixin:
    """Mix into a model: ``asave``, ``adelete`` and ``arefresh_from_db`` take the native
    path for aliases on the native engine."""


for _name, _write in QUERYSET_METHODS.items():
    setattr(NativeQuerySetMixin, _name, _queryset_method(_name, _write))
NativeQuerySetMixin.__aiter__ = _aiter  # type: ignore[attr-defined]
NativeQuerySetMixin.aiterator = _aiterator  # type: ignore[attr-defined]
for _name in MODEL_METHODS:
    setattr(NativeModelMixin, _name, _model_method(_name))


class NativeQuerySet(NativeQuerySetMixin, QuerySet[Any]):
    """Django's QuerySet with native a-methods."""


NativeManager = models.Manager.from_queryset(NativeQuerySet, "NativeManager")
NativeManager.__doc__ = "A manager whose querysets' a-methods take the native path."

_installed = False


def install() -> None:
    """Give Django's ``QuerySet``, ``RawQuerySet`` and ``Model`` the native a-methods
    (idempotent). The app does it at startup when ``ASYNCX["NATIVE_AMETHODS"]`` is on."""
    global _installed
    if _installed:
        return
    for name, write in QUERYSET_METHODS.items():
        setattr(QuerySet, name, _queryset_method(name, write))
    QuerySet.__aiter__ = _aiter  # type: ignore[method-assign]
    QuerySet.aiterator = _aiterator  # type: ignore[method-assign]
    RawQuerySet.__aiter__ = _raw_aiter  # type: ignore[method-assign]
    for name in MODEL_METHODS:
        setattr(models.Model, name, _model_method(name))
    # Related managers are classes built on first use of each relation: build them native.
    related_descriptors.create_reverse_many_to_one_manager = _reverse_many_to_one
    related_descriptors.create_forward_many_to_many_manager = _forward_many_to_many
    if apps.is_installed("django.contrib.contenttypes"):
        from django.contrib.contenttypes import fields

        generic = cast(Any, _generic_related)
        generic.django_factory = fields.create_generic_related_manager
        fields.create_generic_related_manager = generic
    query_module.aprefetch_related_objects = _aprefetch_related_objects
    models.aprefetch_related_objects = _aprefetch_related_objects
    _installed = True


def uninstall() -> None:
    """Restore Django's own a-methods."""
    global _installed
    for name, method in _DJANGO_QUERYSET.items():
        setattr(QuerySet, name, method)
    RawQuerySet.__aiter__ = _DJANGO_RAW_AITER  # type: ignore[method-assign]
    for name, method in _DJANGO_MODEL.items():
        setattr(models.Model, name, method)
    related_descriptors.create_reverse_many_to_one_manager = _DJANGO_FACTORIES[0]
    related_descriptors.create_forward_many_to_many_manager = _DJANGO_FACTORIES[1]
    if apps.is_installed("django.contrib.contenttypes"):
        from django.contrib.contenttypes import fields

        fields.create_generic_related_manager = _django_generic_factory(fields)
    query_module.aprefetch_related_objects = _DJANGO_APREFETCH
    models.aprefetch_related_objects = _DJANGO_APREFETCH
    _installed = False


def installed() -> bool:
    """Whether :func:`install` is in effect."""
    return _installed
