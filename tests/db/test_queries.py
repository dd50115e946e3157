"""acapture_queries / aassert_num_queries count the bridge's, the native engine's and the
a-methods' queries, in a TestCase (the test's connection) and a TransactionTestCase (pool
threads and native connections), on every database."""

from __future__ import annotations

import pytest
from django.test import TestCase, TransactionTestCase

from django_asyncx.db import run_in_db
from django_asyncx.db.queries import aassert_num_queries, acapture_queries
from tests.support.db_aliases import OnAlias, on_each_alias
from tests.support.testapp.models import Entry


class _Counted(OnAlias):
    def entries(self):  # type: ignore[no-untyped-def]
        return Entry.objects.using(self.alias)

    async def test_three_calls_on_three_paths_count_three_queries(self) -> None:
        async with acapture_queries(using=self.alias) as queries:
            await run_in_db(self.entries().count, using=self.alias)
            await self.entries().acount()
            await run_in_db(list, self.entries().filter(label="x"), using=self.alias)
        assert len(queries) == 3
        assert all("testapp_entry" in query["sql"] for query in queries)

    async def test_aassert_num_queries_passes_on_the_right_count(self) -> None:
        async with aassert_num_queries(1, using=self.alias):
            await run_in_db(self.entries().count, using=self.alias)

    async def test_aassert_num_queries_fails_with_djangos_message(self) -> None:
        with pytest.raises(AssertionError, match=r"1 queries executed, 2 expected"):
            await self._count_expecting(2)

    async def _count_expecting(self, num: int) -> None:
        async with aassert_num_queries(num, using=self.alias):
            await run_in_db(self.entries().count, using=self.alias)


on_each_alias(_Counted, TestCase, globals())
on_each_alias(type("_CountedOnThePool", (_Counted,), {}), TransactionTestCase, globals())


@pytest.mark.django_db(databases=["default"])
async def test_an_async_pytest_test_counts_with_acapture_queries() -> None:
    async with acapture_queries() as queries:
        await Entry.objects.acreate(label="x")
        await run_in_db(Entry.objects.count)
    assert len(queries) == 2
