"""Running Django's sync ORM from async code: the native PostgreSQL engine lives in
:mod:`django_asyncx.db.backends.postgresql`, the greenlet machinery in
:mod:`django_asyncx.db.greenlet`."""

__all__: list[str] = []
