"""The run's main thread gets native wrappers (asyncpg in a greenlet); a thread a test starts
gets the product's psycopg wrapper, as a second client would."""

from __future__ import annotations

import threading
from typing import Any

from django_asyncx.db.backends.postgresql import amethods
from django_asyncx.db.backends.postgresql.base import DatabaseWrapper as PsycopgWrapper
from django_asyncx.db.backends.postgresql.wrapper import NativeDatabaseWrapper

amethods.install()
_MAIN = threading.main_thread()


class DatabaseWrapper(NativeDatabaseWrapper):
    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if threading.current_thread() is not _MAIN:
            return PsycopgWrapper(*args, **kwargs)
        return super().__new__(cls)
