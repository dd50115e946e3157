"""Test support for projects using django_asyncx, and for django_asyncx's own suite.

Enable the pytest fixtures with ``pytest_plugins = ["django_asyncx.testing.plugin"]`` in a
``conftest.py``. The modules:

* :mod:`~django_asyncx.testing.services`: which PostgreSQL, MariaDB and Redis to use; skip
  or fail when one is down.
* :mod:`~django_asyncx.testing.upstream`: a real HTTP server on a loopback port for tests of
  outbound calls (the ``upstream`` fixture).
* :mod:`~django_asyncx.testing.client`: ``arequest``, one request sent to an ASGI application
  in-process, no server.
"""

__all__: list[str] = []
