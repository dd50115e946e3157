"""ATOMIC_REQUESTS for async views through django_asyncx.asgi, on the three databases."""

import logging

import pytest
from django.db import connections

from django_asyncx.asgi import get_asgi_application
from django_asyncx.db import run_in_db
from django_asyncx.executors import shutdown_executors
from tests.support.asgi_calls import asgi_get
from tests.support.db_aliases import on_databases
from tests.support.testapp.models import Entry


@pytest.fixture
def atomic_requests(alias):
    entry = connections.settings[alias]
    saved = entry["ATOMIC_REQUESTS"]
    entry["ATOMIC_REQUESTS"] = True
    shutdown_executors()
    yield
    entry["ATOMIC_REQUESTS"] = saved
    shutdown_executors()


@on_databases()
async def test_async_view_is_one_transaction(alias, atomic_requests, caplog):
    app = get_asgi_application()
    status, body = await asgi_get(app, f"/testapp/entries/{alias}/", "label=kept")
    assert (status, body) == (200, b"created")
    with caplog.at_level(logging.CRITICAL, logger="django.request"):
        status, _ = await asgi_get(app, f"/testapp/entries/{alias}/", "label=undone&fail=1")
    assert status == 500
    labels = await run_in_db(lambda: list(Entry.objects.using(alias).values_list("label")))
    assert labels == [("kept",)]


@on_databases("default")
async def test_non_atomic_requests_opts_an_async_view_out(alias, atomic_requests, caplog):
    app = get_asgi_application()
    with caplog.at_level(logging.CRITICAL, logger="django.request"):
        status, _ = await asgi_get(
            app, f"/testapp/entries/{alias}/non-atomic/", "label=stays&fail=1"
        )
    assert status == 500
    assert await run_in_db(Entry.objects.using(alias).filter(label="stays").exists)
