"""Django's a-methods outside a transaction run on a thread made for the request; served
through django_asyncx.asgi, its connections end with the request, even with CONN_MAX_AGE
(stock Django leaves them open on a thread that is gone)."""

import gc

from django.db import connections

from django_asyncx.asgi import get_asgi_application
from tests.support.asgi_calls import asgi_get
from tests.support.db_aliases import on_databases, settled_connections, stable_connections


@on_databases("postgres", "mariadb")
async def test_request_thread_connections_close_with_the_request(alias):
    entry = connections.settings[alias]
    saved, entry["CONN_MAX_AGE"] = entry["CONN_MAX_AGE"], 60
    try:
        gc.disable()  # a collection would close orphaned connections and hide a leak
        baseline = stable_connections(alias)
        app = get_asgi_application()
        for _ in range(5):
            assert await asgi_get(app, f"/testapp/entries/{alias}/count/") == (200, b"0")
        assert settled_connections(alias, baseline) == baseline
    finally:
        gc.enable()
        entry["CONN_MAX_AGE"] = saved
