"""The Django project every HTTP benchmark serves: startproject's defaults, DEBUG off.

Environment variables choose what one server of it serves (``settings.py`` reads them):

- ``BENCH_VIEWS``: ``hello`` (the default: the trivial JSON view, ``bench/hello.py``),
  ``p1`` (the JSON view and a one-query template page, ``bench/views_p1.py``) or
  ``templates`` (a 100-row table and a streamed page, ``bench/templates.py``) or ``page``
  (a logged-in user's 20-row page, ``bench/page.py``); it picks the URLs, and for
  ``templates`` and ``page`` adds the example project's ``demo`` app and PostgreSQL;
- ``BENCH_MIDDLEWARE``: ``django`` (the default: startproject's 7 middleware) or ``asyncx``
  (the same list through :func:`django_asyncx.middleware.async_native`); ``django-extra``
  and ``asyncx-extra`` add django-cors-headers and WhiteNoise to them (stock WhiteNoise,
  or django_asyncx's drop-in);
- ``BENCH_DATABASE_URL`` and ``BENCH_DB_ENGINE``: the database of ``templates`` and an
  ENGINE that replaces its own (see ``settings.py``).

The benchmarks set them with :func:`environ` and start the entry points named below.
"""

SETTINGS = "bench.project.settings"
WSGI = "bench.project.wsgi:application"
"""Stock Django's WSGI entry, for gunicorn."""
ASGI_DJANGO = "bench.project.asgi_django:application"
"""Stock Django's ASGI entry: ``django.core.asgi``."""
ASGI_ASYNCX = "bench.project.asgi_asyncx:application"
"""django_asyncx's ASGI entry: ``django_asyncx.asgi``."""

VIEWS = ("hello", "p1", "templates", "page")
"""The accepted values of ``BENCH_VIEWS``, the default first."""
MIDDLEWARE = ("django", "asyncx", "django-extra", "asyncx-extra")
"""The accepted values of ``BENCH_MIDDLEWARE``, the default first."""
TEMPLATES_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/asyncx_bench_templates"
"""The database of ``BENCH_VIEWS=templates`` when ``BENCH_DATABASE_URL`` is not set."""
PAGE_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/asyncx_bench_page"
"""The database of ``BENCH_VIEWS=page`` when ``BENCH_DATABASE_URL`` is not set."""


def environ(views: str, *, middleware: str = "django") -> tuple[tuple[str, str], ...]:
    """The environment of a server of this project serving ``views`` behind ``middleware``."""
    return (
        ("DJANGO_SETTINGS_MODULE", SETTINGS),
        ("BENCH_VIEWS", views),
        ("BENCH_MIDDLEWARE", middleware),
    )
