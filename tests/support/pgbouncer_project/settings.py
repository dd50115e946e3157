"""Settings of the PgBouncer test project: the database is PgBouncer, given by the environment.

``PGBOUNCER_PORT`` and ``PGBOUNCER_DB`` name the pooler; ``NATIVE_PGBOUNCER=0`` leaves
``native_pgbouncer`` off (the statement cache on), to show what breaks without it.
"""

import os

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
ROOT_URLCONF = "tests.support.pgbouncer_project.urls"
INSTALLED_APPS = ["django_asyncx", "tests.support.pgbouncer_project"]
MIDDLEWARE: list[str] = []
USE_TZ = True
_PGBOUNCER = os.environ.get("NATIVE_PGBOUNCER", "1") == "1"
DATABASES = {
    "default": {
        "ENGINE": "django_asyncx.db.backends.postgresql",
        "NAME": os.environ["PGBOUNCER_DB"],
        "USER": "postgres",
        "PASSWORD": os.environ["PGBOUNCER_PASSWORD"],
        "HOST": "127.0.0.1",
        "PORT": os.environ["PGBOUNCER_PORT"],
        "DISABLE_SERVER_SIDE_CURSORS": True,
        "OPTIONS": {
            "native_pgbouncer": _PGBOUNCER,
            "native_max_size": int(os.environ.get("NATIVE_MAX_SIZE", "10")),
            "application_name": "asyncx-pgbouncer-test",
        },
    }
}
# Server errors go to the server's output, where the test reads them.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"handlers": ["stderr"], "level": "ERROR"}},
}
