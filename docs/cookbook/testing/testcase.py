"""Recipe: an ordinary Django TestCase for async views and helpers that use the library.

Nothing to change in the test: setUpTestData's rows are seen by ``run_in_db``,
``async with atomic()`` and the native engine, and everything is rolled back after each test.
"""

import asyncio

from asgiref.sync import async_to_sync
from bank.models import Account
from django.db.models import F
from django.test import TestCase

from django_asyncx.db import aon_commit, atomic, run_in_db
from django_asyncx.db.queries import aassert_num_queries

notified: list[str] = []


async def pay(source: str, target: str, amount: int) -> None:
    """The code under test: a transfer in an async transaction, a message after the commit."""
    async with atomic():
        await Account.objects.filter(owner=source).aupdate(balance=F("balance") - amount)
        await run_in_db(Account.objects.filter(owner=target).update, balance=F("balance") + amount)
        await aon_commit(lambda: notified.append(f"{source} paid {target}"))


def balances() -> dict[str, int]:
    return dict(Account.objects.values_list("owner", "balance"))


class PaymentTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        Account.objects.create(owner="alice", balance=100)
        Account.objects.create(owner="bob", balance=0)

    async def test_a_payment_moves_the_money(self) -> None:
        await pay("alice", "bob", 30)
        assert await run_in_db(balances) == {"alice": 70, "bob": 30}

    async def test_concurrent_payments_take_turns(self) -> None:
        # Inside a TestCase every task shares the test's connection: the blocks run one
        # after the other.
        await asyncio.gather(*(pay("alice", "bob", 10) for _ in range(3)))
        assert await run_in_db(balances) == {"alice": 70, "bob": 30}

    async def test_queries_are_counted(self) -> None:
        async with aassert_num_queries(2):
            await Account.objects.acount()
            await run_in_db(balances)

    def test_the_message_is_sent_on_commit(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            async_to_sync(pay)("alice", "bob", 5)
        assert "alice paid bob" in notified
