"""Every cookbook recipe in docs/cookbook/ is imported and run against a real database."""

import hashlib
import importlib.util
from pathlib import Path

import pytest
from bank.models import Account
from django.test import override_settings

from django_asyncx.db import run_in_db
from django_asyncx.executors import get_executor, shutdown_executors

COOKBOOK = Path(__file__).resolve().parent.parent.parent / "docs" / "cookbook"

pytestmark = pytest.mark.django_db(transaction=True)


def recipe(name: str):
    spec = importlib.util.spec_from_file_location(f"cookbook_{name}", COOKBOOK / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def accounts():
    shutdown_executors()
    yield
    shutdown_executors()


def open_accounts() -> dict[str, int]:
    balances = {"ann": 5_000, "bob": 0, "cid": 12_000, "dan": 300}
    return {o: Account.objects.create(owner=o, balance=b).pk for o, b in balances.items()}


def test_the_bridge_recipes_exist():
    tested = {"dashboard", "transfer", "blocking_io", "bounded_fanout"}
    assert tested <= {path.stem for path in COOKBOOK.glob("*.py")}


async def test_dashboard():
    await run_in_db(open_accounts)
    context = await recipe("dashboard").dashboard()
    assert [a.owner for a in context["richest"]] == ["cid", "ann", "dan"]
    assert [a.owner for a in context["empty"]] == ["bob"]
    assert (context["total"], context["title"]) == (17_300, "Accounts")


async def test_transfer_commits_and_notifies_or_rolls_back_silently():
    module = recipe("transfer")
    ids = await run_in_db(open_accounts)
    await module.transfer(ids["ann"], ids["bob"], 2_000)
    with pytest.raises(module.InsufficientFunds):
        await module.transfer(ids["bob"], ids["dan"], 9_999)
    assert module.sent == [f"2000 from {ids['ann']} to {ids['bob']}"]
    final = await run_in_db(lambda: dict(Account.objects.values_list("owner", "balance")))
    assert (final["ann"], final["bob"], final["dan"]) == (3_000, 2_000, 300)


@override_settings(ASYNCX={"EXECUTORS": {"hashing": {"max_workers": 2}}})
async def test_blocking_io(tmp_path):
    module = recipe("blocking_io")
    salt = b"0123456789abcdef"
    digest = await module.hash_password("secret", salt)
    assert digest == hashlib.pbkdf2_hmac("sha256", b"secret", salt, 100_000).hex()
    assert get_executor("hashing").stats().completed == 1
    report = tmp_path / "report.txt"
    report.write_text("all good", encoding="utf-8")
    assert await module.read_report(report) == "all good"


async def test_bounded_fanout():
    await run_in_db(open_accounts)
    module = recipe("bounded_fanout")
    assert await module.balances(["dan", "ann", "cid"], limit=2) == [300, 5_000, 12_000]
    with pytest.raises(Account.DoesNotExist):
        await module.balances(["ann", "nobody", "cid", "bob", "dan"], limit=2)
