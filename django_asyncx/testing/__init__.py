"""Test support for projects using django_asyncx, and for django_asyncx's own suite.

Installing the package enables its pytest plugin
(:mod:`~django_asyncx.testing.pytest_plugin`, fixtures named ``asyncx_*``). The modules:

* :mod:`~django_asyncx.testing.services`: which PostgreSQL, MariaDB and Redis to use; skip
  or fail when one is down.
* :mod:`~django_asyncx.testing.upstream`: a real HTTP server on a loopback port for tests of
  outbound calls (the ``asyncx_upstream`` fixture).
* :mod:`~django_asyncx.testing.client`: ``AsyncxClient`` and ``AsyncxSyncClient``, Django's
  test clients on django_asyncx's handler; ``arequest``, one raw request sent to an ASGI
  application in-process, no server.
* :mod:`~django_asyncx.testing.cases`: ``AsyncxTestCase`` and ``AsyncxTransactionTestCase``.
"""

__all__: list[str] = []
