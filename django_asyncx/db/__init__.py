"""The DB bridge: run ORM code from async code, concurrently and without leaking connections.

Public names: :func:`run_in_db`, :func:`database_sync_to_async`, :func:`atomic`,
:func:`aon_commit`, :func:`alist`, :func:`aresolve` and :class:`Related`; :func:`agather` is
deprecated (use :func:`django_asyncx.concurrency.gather`).
"""

from .bridge import database_sync_to_async, run_in_db
from .helpers import Related, agather, alist, aresolve
from .transaction import AsyncAtomic, aon_commit, atomic

__all__ = [
    "AsyncAtomic",
    "Related",
    "agather",
    "alist",
    "aon_commit",
    "aresolve",
    "atomic",
    "database_sync_to_async",
    "run_in_db",
]
