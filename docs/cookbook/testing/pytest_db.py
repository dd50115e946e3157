"""Recipe: pytest-django's ``db`` with async tests (pytest-asyncio).

The plugin lends the test's connections to the async test: a row made by a sync fixture is
seen by Django's a-methods and by ``run_in_db``, and rolled back after the test. With
pytest-asyncio's default strict mode, mark the async tests (or set ``asyncio_mode = auto``).
"""

import pytest
from bank.models import Account

from django_asyncx.db import atomic, run_in_db
from django_asyncx.db.queries import acapture_queries

pytestmark = pytest.mark.asyncio


@pytest.fixture
def alice(db: None) -> Account:
    return Account.objects.create(owner="alice", balance=100)


async def test_an_async_test_sees_a_fixture_row(alice: Account) -> None:
    assert await Account.objects.acount() == 1
    assert await run_in_db(lambda: Account.objects.get(owner="alice").balance) == 100


async def test_a_block_writes_inside_the_test_transaction(alice: Account) -> None:
    async with atomic():
        await Account.objects.acreate(owner="bob", balance=0)
    async with acapture_queries() as queries:
        assert await Account.objects.acount() == 2
    assert len(queries) == 1
