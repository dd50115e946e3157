"""``cache_page`` for async views: Django's page cache without blocking the event loop.

The caching rules are Django's own (``CacheMiddleware``: which requests and responses are
cached, the keys, ``Vary`` handling, ``Expires``/``Cache-Control``/``Age`` headers); only
the cache reads and writes change:

- Django's ``RedisCache``: native async through ``redis.asyncio``, one client per event loop
  (closed at lifespan shutdown), same keys and serialization as the sync backend;
- ``LocMemCache`` and ``DummyCache``: called directly, they never wait on I/O;
- ``DatabaseCache``: through :func:`django_asyncx.db.run_in_db`;
- any other backend (memcached, file, third-party): on the ``blocking`` executor through
  :func:`django_asyncx.executors.run_in_executor`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import wraps
from typing import Any

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest, HttpResponseBase
from django.middleware.cache import CacheMiddleware
from django.utils import cache as cache_utils

from django_asyncx.db import run_in_db
from django_asyncx.executors import run_in_executor
from django_asyncx.loops import LoopResource

from ._base import AsyncView, View, check_request, check_view
from .sync import as_async

__all__ = ["AsyncCache", "cache_page", "cache_path"]

_redis_clients: dict[str, LoopResource[Any]] = {}


def cache_path(cache: BaseCache) -> str:
    """How :class:`AsyncCache` reaches ``cache``: ``"redis"``, ``"memory"``, ``"db"``, ``"thread"``.

    ``manage.py asyncx_audit`` reports it as the cache backend's blocking status.
    """
    if type(cache) is RedisCache:
        return "redis"
    if type(cache) in (LocMemCache, DummyCache):
        # Exact types: a subclass may override get/set with something that blocks.
        return "memory"
    if isinstance(cache, DatabaseCache):
        return "db"
    return "thread"


def _redis_client(url: str) -> LoopResource[Any]:
    resource = _redis_clients.get(url)
    if resource is None:

        def create() -> Any:
            import redis.asyncio

            return redis.asyncio.Redis.from_url(url)

        async def close(client: Any) -> None:
            await client.aclose()

        resource = _redis_clients[url] = LoopResource(
            f"cache_page redis client {url}", create, close=close
        )
    return resource


class AsyncCache:
    """Awaitable ``get``/``set`` over a Django cache, never blocking the loop (see above)."""

    def __init__(self, cache: BaseCache) -> None:
        self.cache = cache
        self.path = cache_path(cache)

    async def get(self, key: str) -> Any:
        """The cached value for ``key``, or None."""
        if self.path == "redis":
            cache: Any = self.cache
            real_key = cache.make_and_validate_key(key)
            client = await _redis_client(cache._servers[0]).aget()
            value = await client.get(real_key)
            return None if value is None else cache._cache._serializer.loads(value)
        return await self._call(self.cache.get, key)

    async def set(self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT) -> None:  # noqa: ASYNC109
        """Store ``value`` under ``key`` for ``timeout`` seconds, as ``cache.set`` does."""
        if self.path == "redis":
            cache: Any = self.cache
            real_key = cache.make_and_validate_key(key)
            backend_timeout = cache.get_backend_timeout(timeout)
            client = await _redis_client(cache._servers[0]).aget()
            if backend_timeout == 0:
                await client.delete(real_key)
            else:
                data = cache._cache._serializer.dumps(value)
                await client.set(real_key, data, ex=backend_timeout)
            return
        await self._call(self.cache.set, key, value, timeout)

    async def _call(self, method: Callable[..., Any], *args: Any) -> Any:
        if self.path == "memory":
            return method(*args)
        if self.path == "db":
            return await run_in_db(method, *args)
        return await run_in_executor(method, *args)


class _Prefetched:
    """Stands in for the cache in Django's sync hooks: answers reads fetched beforehand
    and records writes to make afterwards."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values
        self.writes: list[tuple[str, Any, Any]] = []

    def get(self, key: str, default: Any = None) -> Any:
        value = self.values.get(key)
        return default if value is None else value

    def set(self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT) -> None:
        self.writes.append((key, value, timeout))


class _PageCache(CacheMiddleware):
    """Django's ``CacheMiddleware`` logic with the cache swapped for :class:`_Prefetched`."""

    stand_in: _Prefetched

    @property
    def cache(self) -> Any:
        return self.stand_in


def cache_page(
    timeout: float | None, *, cache: str | None = None, key_prefix: str | None = None
) -> Callable[[View], AsyncView]:
    """Django's ``cache_page(timeout, *, cache=None, key_prefix=None)``, loop-friendly.

    Same arguments, keys and headers as Django's decorator, so pages cached by one are
    served by the other. The view may be async or sync (a sync view runs through
    :func:`~django_asyncx.views.async_view`).
    """
    if callable(timeout):
        raise TypeError("@cache_page needs the timeout: @cache_page(60), not @cache_page")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int | float)):
        raise TypeError(
            f"cache_page(): timeout must be a number of seconds or None, got {timeout!r}"
        )
    alias = DEFAULT_CACHE_ALIAS if cache is None else cache
    if not isinstance(alias, str):
        raise TypeError(f"cache_page(): cache must be a cache alias (str) or None, got {cache!r}")

    def decorate(view: View) -> AsyncView:
        check_view(view, "cache_page")
        target = as_async(view)
        middleware = _PageCache(
            target, page_timeout=timeout, cache_alias=alias, key_prefix=key_prefix
        )

        @wraps(view)
        async def wrapper(request: Any, *args: Any, **kwargs: Any) -> HttpResponseBase:
            check_request(request, "cache_page")
            store = AsyncCache(caches[alias])
            hit = await _fetch(middleware, store, request)
            if hit is not None:
                return hit
            response = await target(request, *args, **kwargs)
            render = getattr(response, "render", None)
            if callable(render) and not getattr(response, "is_rendered", True):
                # Rendered here, so that the page stored is the final one.
                if iscoroutinefunction(render):
                    await render()
                else:
                    await sync_to_async(render, thread_sensitive=True)()
            stand_in = _Prefetched({})
            response = _with(middleware, stand_in).process_response(request, response)  # type: ignore[assignment]
            for key, value, write_timeout in stand_in.writes:
                await store.set(key, value, write_timeout)
            return response

        return wrapper

    return decorate


async def _fetch(
    middleware: _PageCache, store: AsyncCache, request: HttpRequest
) -> HttpResponseBase | None:
    """Read what ``FetchFromCacheMiddleware.process_request`` reads, then run it."""
    values: dict[str, Any] = {}
    if request.method in ("GET", "HEAD"):
        header_key = cache_utils._generate_cache_header_key(  # type: ignore[attr-defined]
            middleware.key_prefix, request
        )
        headerlist = values[header_key] = await store.get(header_key)
        if headerlist is not None:
            methods = ("GET", "HEAD") if request.method == "HEAD" else ("GET",)
            for method in methods:
                page_key = cache_utils._generate_cache_key(  # type: ignore[attr-defined]
                    request, method, headerlist, middleware.key_prefix
                )
                values[page_key] = await store.get(page_key)
                if values[page_key] is not None:
                    break
    return _with(middleware, _Prefetched(values)).process_request(request)


def _with(middleware: _PageCache, stand_in: _Prefetched) -> _PageCache:
    # A copy per request: the view's middleware instance is shared by concurrent requests.
    copied = copy.copy(middleware)
    copied.stand_in = stand_in
    return copied
