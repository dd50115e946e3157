"""ENGINE ``django_asyncx.db.backends.postgresql``: Django's PostgreSQL backend (psycopg) for
sync code, plus a native asyncpg path for async code (see :mod:`.native`)."""

__all__: list[str] = []
