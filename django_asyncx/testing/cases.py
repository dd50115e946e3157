"""Django's test cases with django_asyncx's test clients: :class:`AsyncxTestCase` and kin.

::

    from django_asyncx.testing.cases import AsyncxTestCase

    class ProductTests(AsyncxTestCase):
        upstream_clients = ("rates",)

        async def test_price(self):
            self.upstream.route("/eur", json={"rate": 1.1})
            response = await self.async_client.get("/products/dune/price/")
            self.assertContains(response, "1.10")

``self.async_client`` is an :class:`~django_asyncx.testing.client.AsyncxClient` and
``self.client`` an :class:`~django_asyncx.testing.client.AsyncxSyncClient`: requests go
through django_asyncx's handler (``ATOMIC_REQUESTS`` for async views, lifespan hooks, the
middleware drop-ins). Set ``client_class = django.test.Client`` (or ``async_client_class``)
back to keep Django's own for a class. :class:`AsyncxTestMixin` adds the same to any other
``SimpleTestCase`` subclass.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.db import DEFAULT_DB_ALIAS
from django.test import TestCase, TransactionTestCase

from .client import AsyncxClient, AsyncxSyncClient
from .upstream import Upstream

if TYPE_CHECKING:
    from django_asyncx.db.queries import aassert_num_queries, acapture_queries

__all__ = ["AsyncxTestCase", "AsyncxTestMixin", "AsyncxTransactionTestCase"]


class AsyncxTestMixin:
    """The django_asyncx clients, and an upstream server for the class's HTTP clients.

    ``upstream_clients``: names of ``ASYNCX["HTTP_CLIENTS"]`` entries; when set, one
    :class:`~django_asyncx.testing.upstream.Upstream` is started for the class
    (``self.upstream``), those clients call it for the whole class, and its recorded
    requests are forgotten before each test (its routes stay).

    In async tests, ``async with self.aassertNumQueries(n):`` and ``async with
    self.acaptureQueries() as queries:`` count the queries of every path (the bridge, the
    native engine, Django's a-methods): Django's sync context managers cannot be entered there.
    """

    async_client_class: ClassVar[type[Any]] = AsyncxClient
    client_class: ClassVar[type[Any]] = AsyncxSyncClient
    upstream_clients: ClassVar[tuple[str, ...]] = ()
    upstream: ClassVar[Upstream]

    @classmethod
    def setUpClass(cls) -> None:
        if cls.upstream_clients:
            cls.upstream = Upstream().start()
            cls.addClassCleanup(cls.upstream.stop)  # type: ignore[attr-defined]
        super().setUpClass()  # type: ignore[misc]
        if cls.upstream_clients:
            override = cls.upstream.override_clients(*cls.upstream_clients)
            override.enable()
            cls.addClassCleanup(override.disable)  # type: ignore[attr-defined]

    @classmethod
    def _pre_setup(cls) -> None:
        super()._pre_setup()  # type: ignore[misc]
        if cls.upstream_clients:
            cls.upstream.reset()

    def aassertNumQueries(self, num: int, *, using: str = DEFAULT_DB_ALIAS) -> aassert_num_queries:
        """``async with self.aassertNumQueries(num):``, the async ``assertNumQueries``."""
        from django_asyncx.db.queries import aassert_num_queries

        return aassert_num_queries(num, using=using)

    def acaptureQueries(self, *, using: str = DEFAULT_DB_ALIAS) -> acapture_queries:
        """``async with self.acaptureQueries() as queries:``, the queries of the block."""
        from django_asyncx.db.queries import acapture_queries

        return acapture_queries(using=using)


class AsyncxTestCase(AsyncxTestMixin, TestCase):
    """Django's ``TestCase`` (each test in a transaction rolled back) with the mixin."""


class AsyncxTransactionTestCase(AsyncxTestMixin, TransactionTestCase):
    """Django's ``TransactionTestCase`` (real commits, tables flushed) with the mixin."""
