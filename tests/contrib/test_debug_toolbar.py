"""django-debug-toolbar (the real one) records the bridge's and the native engine's queries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.test import override_settings

from django_asyncx.asgi import get_asgi_application
from django_asyncx.testing.client import arequest
from tests.support.db_aliases import require

debug_toolbar = pytest.importorskip("debug_toolbar")


@contextmanager
def toolbar_settings(panel: str) -> Iterator[None]:
    # Static files first: the apps added next are made ready with the settings of the moment.
    static = override_settings(
        STATIC_URL="/static/",
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    )
    toolbar = override_settings(
        DEBUG=True,
        INSTALLED_APPS=[*settings.INSTALLED_APPS, "django.contrib.staticfiles", "debug_toolbar"],
        ROOT_URLCONF="tests.contrib.toolbar_urls",
        MIDDLEWARE=["debug_toolbar.middleware.DebugToolbarMiddleware"],
        DEBUG_TOOLBAR_PANELS=[panel],
        DEBUG_TOOLBAR_CONFIG={"SHOW_TOOLBAR_CALLBACK": lambda request: True},
    )
    with static, toolbar:
        yield


async def sql_panel_queries(alias: str) -> list[dict]:
    from debug_toolbar.toolbar import DebugToolbar

    toolbars = []

    def created(sender, toolbar, **kwargs):
        toolbars.append(toolbar)

    DebugToolbar._created.connect(created)
    try:
        result = await arequest(get_asgi_application(), "GET", f"/six/{alias}/")
    finally:
        DebugToolbar._created.disconnect(created)
    assert (result.status, result.body) == (200, b"0,0,0,0,0,0")
    (toolbar,) = toolbars
    queries = toolbar.get_panel_by_id("SQLPanel")._queries
    # Leave out a new connection's setup (lock_timeout in a test process).
    return [query for query in queries if "testapp_entry" in query["sql"]]


def on_each_database(*aliases: str) -> pytest.MarkDecorator:
    params = [pytest.param(alias, id=alias) for alias in aliases]
    return pytest.mark.parametrize("alias", params)


@pytest.mark.django_db(transaction=True, databases="__all__")
@on_each_database("default", "postgres", "native", "mariadb")
async def test_the_panel_records_every_query(alias):
    require(alias)
    with toolbar_settings("django_asyncx.contrib.debug_toolbar.SQLPanel"):
        queries = await sql_panel_queries(alias)
    assert len(queries) == 6
    assert {query["alias"] for query in queries} == {alias}


@pytest.mark.django_db(transaction=True, databases="__all__")
@on_each_database("default")
async def test_the_stock_panel_misses_the_bridge(alias):
    with toolbar_settings("debug_toolbar.panels.sql.SQLPanel"):
        queries = await sql_panel_queries(alias)
    assert len(queries) == 3  # only Django's a-methods, on the request's thread


@pytest.mark.django_db(transaction=True, databases="__all__")
async def test_the_panel_opens_no_connection_to_the_databases_a_view_does_not_use():
    from django.db import connections
    from django.db.backends.signals import connection_created

    opened = []

    def created(sender, connection, **kwargs):
        opened.append(connection.alias)

    others = [alias for alias in connections if alias != "default"]
    assert others, "the test settings name more than one database"
    connection_created.connect(created)
    try:
        with toolbar_settings("django_asyncx.contrib.debug_toolbar.SQLPanel"):
            queries = await sql_panel_queries("default")
    finally:
        connection_created.disconnect(created)
    assert len(queries) == 6
    assert set(opened) <= {"default"}, opened
