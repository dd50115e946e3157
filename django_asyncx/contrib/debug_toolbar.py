"""django-debug-toolbar's SQL panel, seeing the queries of the DB bridge and the native engine.

In ``settings.py``, in place of the toolbar's own SQL panel::

    DEBUG_TOOLBAR_PANELS = [
        ...,
        "django_asyncx.contrib.debug_toolbar.SQLPanel",
        ...,
    ]

The toolbar's panel records the queries of the connections of the request's own thread only;
:func:`~django_asyncx.db.run_in_db` and ``atomic()`` run theirs on the bridge's pool threads,
and the native engine on its own connections, so the stock panel misses them. This panel
records them too, with the toolbar's own recording code (SQL with its parameters, time,
stack trace, transactions), through :data:`django_asyncx.db.queries.observers`.

The toolbar is imported when the panel is first used (the toolbar's own modules need its
app installed), so importing this module needs neither.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import connections

from django_asyncx.db.queries import QueryRecorder, observers

# ``SQLPanel`` is made on first access (module ``__getattr__``), once the toolbar can load.
__all__: list[str] = []


class _NativeInfo:
    def __init__(self, connection: Any) -> None:
        self._connection = connection

    @property
    def transaction_status(self) -> Any:
        from psycopg.pq import TransactionStatus

        if self._connection.in_transaction():
            return TransactionStatus.INTRANS
        return TransactionStatus.IDLE


class _NativeConnectionView:
    """What the toolbar reads of a psycopg connection, for a native (asyncpg) connection."""

    def __init__(self, wrapper: Any) -> None:
        self.info = _NativeInfo(wrapper.connection)
        self.isolation_level = getattr(wrapper, "isolation_level", None)
        self.InternalError = Exception


class _NativeWrapperView:
    """A native database wrapper as the toolbar's cursor wrapper expects one."""

    def __init__(self, wrapper: Any) -> None:
        self._wrapper = wrapper
        self.connection = _NativeConnectionView(wrapper)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._wrapper, name)


class _ToolbarRecorder(QueryRecorder):
    """An execute wrapper that records each query into the toolbar's panel."""

    # One per database: a bridge call must not open a connection to each of them.
    opens_connection = False

    def __init__(self, alias: str, panel: Any) -> None:
        super().__init__(alias, [])
        self.panel = panel

    def __call__(
        self, execute: Any, sql: Any, params: Any, many: bool, context: dict[str, Any]
    ) -> Any:
        from debug_toolbar.panels.sql.tracking import (
            NormalCursorMixin,
            patch_cursor_wrapper_with_mixin,
        )

        cursor = context["cursor"]
        connection = context["connection"]
        if connection.vendor == "postgresql" and not hasattr(
            connection.connection.info, "transaction_status"
        ):  # the native engine: its connection is asyncpg's, not psycopg's
            connection = _NativeWrapperView(connection)
        recording = patch_cursor_wrapper_with_mixin(type(cursor), NormalCursorMixin)(  # type: ignore[no-untyped-call]
            cursor.cursor, connection, self.panel
        )
        return recording._record(
            lambda sql, params: execute(sql, params, many, context), sql, params
        )


@cache
def _panel_class() -> type[Any]:
    from debug_toolbar.panels.sql import SQLPanel as ToolbarSQLPanel

    class SQLPanel(ToolbarSQLPanel):
        """The toolbar's SQL panel, recording the bridge's and the native engine's queries too."""

        async def aenable_instrumentation(self) -> None:
            await super().aenable_instrumentation()  # type: ignore[no-untyped-call]
            # Set in the request's task, so every call the view makes sees it.
            self._asyncx_previous = observers.get()
            recorders = tuple(_ToolbarRecorder(alias, self) for alias in connections.settings)
            observers.set((*self._asyncx_previous, *recorders))

        def disable_instrumentation(self) -> None:
            super().disable_instrumentation()  # type: ignore[no-untyped-call]
            previous = getattr(self, "_asyncx_previous", None)
            if previous is not None:
                observers.set(previous)
                del self._asyncx_previous

    return SQLPanel


def __getattr__(name: str) -> Any:
    if name == "SQLPanel":
        return _panel_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
