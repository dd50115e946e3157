"""The example's bank app through django_asyncx.asgi: concurrent queries, transfers in
async transactions, and connection hygiene under 500 concurrent requests (counted on the
server)."""

import asyncio
import json

import pytest
from bank.models import Account
from django.db import connections

from django_asyncx.asgi import get_asgi_application
from django_asyncx.db import run_in_db
from django_asyncx.executors import shutdown_executors
from tests.support.asgi_calls import asgi_get, asgi_lifespan, asgi_post_form
from tests.support.db_aliases import (
    on_databases,
    server_connections,
    settled_connections,
    stable_connections,
)


class BankRouter:
    """Sends the bank app's queries to the alias under test."""

    alias = "default"

    def db_for_read(self, model, **hints):
        return self.alias if model._meta.app_label == "bank" else None

    db_for_write = db_for_read


@pytest.fixture
def bank(alias, settings):
    BankRouter.alias = alias
    settings.DATABASE_ROUTERS = [f"{__name__}.BankRouter"]
    shutdown_executors()
    yield get_asgi_application()
    shutdown_executors()


def open_accounts(**balances: int) -> dict[str, int]:
    return {
        owner: Account.objects.create(owner=owner, balance=cents).pk
        for owner, cents in balances.items()
    }


def balances() -> dict[str, int]:
    return dict(Account.objects.values_list("owner", "balance"))


@on_databases()
async def test_summary_runs_its_queries_and_answers(alias, bank):
    await run_in_db(open_accounts, ann=50_000, bob=900, cid=0, dan=20_000)
    status, body = await asgi_get(bank, "/bank/summary/")
    assert status == 200
    assert json.loads(body) == {
        "accounts": 4,
        "total": 70_900,
        "richest": ["ann", "dan", "bob"],
        "low": ["bob", "cid"],
        "empty": 1,
    }


@on_databases()
async def test_transfer_moves_money_or_refuses_and_changes_nothing(alias, bank):
    ids = await run_in_db(open_accounts, ann=1_000, bob=0)
    form = {"source": ids["ann"], "target": ids["bob"], "amount": 600}
    assert (await asgi_post_form(bank, "/bank/transfer/", form))[0] == 200
    status, body = await asgi_post_form(bank, "/bank/transfer/", form)
    assert (status, json.loads(body)) == (409, {"error": "insufficient funds"})
    assert await run_in_db(balances) == {"ann": 400, "bob": 600}
    assert (await asgi_post_form(bank, "/bank/transfer/", {**form, "target": 999}))[0] == 404
    assert (await asgi_post_form(bank, "/bank/transfer/", {"source": "x"}))[0] == 400


@on_databases("postgres", "mariadb")
async def test_concurrent_transfers_never_overdraw(alias, bank):
    ids = await run_in_db(open_accounts, ann=1_000, bob=0, cid=0)
    form = {"source": ids["ann"], "amount": 100}
    statuses = await asyncio.gather(
        *(
            asgi_post_form(bank, "/bank/transfer/", {**form, "target": ids[("bob", "cid")[i % 2]]})
            for i in range(25)
        )
    )
    codes = sorted(status for status, _ in statuses)
    assert codes == [200] * 10 + [409] * 15  # exactly what the balance covers
    final = await run_in_db(balances)
    assert (final["ann"], final["bob"] + final["cid"]) == (0, 1_000)


@on_databases("postgres", "mariadb")
async def test_500_concurrent_requests_hold_at_most_the_pool_and_none_after_shutdown(
    alias, bank, settings
):
    settings.ASYNCX = {"EXECUTORS": {"db": {"max_workers": 8}}}
    entry = connections.settings[alias]
    saved_age, entry["CONN_MAX_AGE"] = entry["CONN_MAX_AGE"], 60
    try:
        await run_in_db(open_accounts, ann=50_000, bob=900)
        await asyncio.to_thread(shutdown_executors)  # start from no pool connection at all
        baseline = await asyncio.to_thread(stable_connections, alias)
        peak = 0

        async def watch() -> None:
            nonlocal peak
            while True:
                count = await asyncio.to_thread(server_connections, alias)
                peak = max(peak, count - baseline)

        async with asgi_lifespan(bank):
            watcher = asyncio.create_task(watch())
            try:
                answers = await asyncio.gather(
                    *(asgi_get(bank, "/bank/summary/") for _ in range(500))
                )
            finally:
                watcher.cancel()
            held = await asyncio.to_thread(server_connections, alias) - baseline
            assert [status for status, _ in answers] == [200] * 500
            assert peak <= 8
            assert 1 <= held <= 8  # CONN_MAX_AGE=60: reused by the pool threads, not multiplied
        # Lifespan shutdown closed the pool threads and their connections.
        assert await asyncio.to_thread(settled_connections, alias, baseline) == baseline
    finally:
        entry["CONN_MAX_AGE"] = saved_age


@pytest.mark.django_db
def test_seed_command_creates_the_accounts_once():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("seed_bank", stdout=out)
    call_command("seed_bank", "--if-empty", stdout=out)
    assert balances() == {"alice": 120_000, "bob": 45_000, "carol": 800, "dave": 0}
    assert out.getvalue().splitlines() == ["bank: 4 accounts", "bank: accounts already exist"]
