"""Recipe: move money between two rows in an async transaction, notify after the commit.

Inside ``async with atomic()`` Django's own a-methods and ``run_in_db`` share one thread,
one connection and the transaction; an exception (or a cancellation) rolls everything back,
and the ``aon_commit`` callback only runs if the transfer committed.
"""

from bank.models import Account
from django.db.models import F

from django_asyncx.db import aon_commit, atomic

sent: list[str] = []  # stands for an email or a message queue


class InsufficientFunds(Exception):
    """The source account cannot cover the amount."""


async def transfer(source: int, target: int, amount: int) -> None:
    """Move ``amount`` cents from account ``source`` to account ``target``."""

    async def notify() -> None:
        sent.append(f"{amount} from {source} to {target}")

    async with atomic():
        rows = Account.objects.select_for_update().filter(pk__in=[source, target]).order_by("pk")
        accounts = {account.pk: account async for account in rows}
        if accounts[source].balance < amount:
            raise InsufficientFunds(f"account {source} has {accounts[source].balance}")
        await Account.objects.filter(pk=source).aupdate(balance=F("balance") - amount)
        await Account.objects.filter(pk=target).aupdate(balance=F("balance") + amount)
        await aon_commit(notify)
