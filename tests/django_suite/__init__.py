"""Django's own test suite, on the stock PostgreSQL backend and on the native path.

``python -m tests.django_suite`` (or ``.ci/dev django-suite``) runs the ORM and database apps
of Django's test suite twice against the PostgreSQL server of
:func:`django_asyncx.testing.services.postgres_url`:

* **stock**: ``django.db.backends.postgresql`` (psycopg), the baseline;
* **native**: every query of the run's main thread on the native engine. The whole of
  Django's ``runtests.py`` runs inside one greenlet on an event loop (:mod:`.native_run`), so
  Django's sync code (test database creation and migrations, ``TestCase`` transactions,
  fixtures, introspection, server-side cursors) goes through ``NativeDatabaseWrapper`` and
  asyncpg. Threads a test starts are a second client and get the psycopg wrapper
  (:mod:`.engine`).

It then prints, app by app, how many tests pass on each and the *differences* (tests that
pass or are skipped on stock and fail on native, or the other way round), and fails on any
difference that is not in ``known_differences.txt`` and on a listed one that no longer
happens, so that list stays short and true. The differences the native path keeps on purpose
are declared in ``NativeFeatures`` (Django's own skip / expected-failure mechanism) and are not
differences here.

Django's tests come from the sdist of the *installed* Django version, downloaded once with pip
into ``.venv/django-suite/`` (gitignored; set ``ASYNCX_DJANGO_TESTS=/path/to/django/tests``
to use a checkout instead, e.g. offline). Options::

    python -m tests.django_suite [--subset ci|all] [--apps APP ...]
                                 [--stock-only | --native-only | --compare-only]
                                 [--results DIR]
                                 [--write-docs docs/django-suite.md]

The modules: :mod:`.source` (getting the tests), :mod:`.apps` (which apps),
:mod:`.settings` (the settings of both runs), :mod:`.runner` (a runner that records each
test's outcome), :mod:`.native_run` (the greenlet around ``runtests.py``), :mod:`.engine`
(the harness ENGINE), :mod:`.compare` (the table and the known list). Nothing here is
collected by the product's pytest run except ``test_compare.py``.
"""
