"""Recipe: what needs TransactionTestCase: real concurrency on separate connections.

Inside a TestCase every task shares the test's one connection, so two transactions can
never wait for each other there. To test that they do (locks, ``select_for_update``,
``skip_locked``), or to run the native engine on asyncpg itself, use TransactionTestCase:
each task gets its own connection, as in production.
"""

import asyncio

from bank.models import Account
from django.test import TransactionTestCase

from django_asyncx.db import atomic

DB = "postgres"  # a PostgreSQL alias: SQLite has no row locks
accounts = Account.objects.using(DB)


class LockingTests(TransactionTestCase):
    databases = {DB}

    async def test_a_locked_row_makes_the_second_block_wait(self) -> None:
        await accounts.acreate(owner="alice", balance=100)
        order: list[str] = []
        locked = asyncio.Event()

        async def first() -> None:
            async with atomic(DB):
                await accounts.select_for_update().aget(owner="alice")
                order.append("first has the lock")
                locked.set()
                await asyncio.sleep(0.1)
                order.append("first commits")

        async def second() -> None:
            await locked.wait()
            async with atomic(DB):
                await accounts.select_for_update().aget(owner="alice")
                order.append("second has the lock")

        await asyncio.gather(first(), second())
        assert order == ["first has the lock", "first commits", "second has the lock"]
