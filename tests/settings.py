"""Settings for the test suite.

Databases (aliases): ``default`` is SQLite; ``postgres`` is the server from
:func:`django_asyncx.testing.services.postgres_url` (``DATABASE_URL``, else 127.0.0.1:5432,
else a throwaway embedded server); ``native`` is the same PostgreSQL server on the
native asyncpg engine (``django_asyncx.db.backends.postgresql``); ``mariadb`` is present
when a MariaDB answers on 127.0.0.1:3306. Test database names carry a suffix unique to the
checkout, so two checkouts can run their suites at once against the same servers.
"""

import hashlib
from pathlib import Path

import django

from django_asyncx.testing import services

BASE_DIR = Path(__file__).resolve().parent
_suffix = hashlib.sha1(str(BASE_DIR).encode()).hexdigest()[:8] + f"_dj{django.VERSION[0]}"

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "tests.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.postgres",
    "django_asyncx",
    "demo",
    "bank",
    "aggregator",
    "chat",
    "tests.support.testapp",
    "tests.support.nativeapp",
]

DATABASE_ROUTERS = ["tests.support.nativeapp.routers.NativeAppRouter"]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "support" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": BASE_DIR / f"sqlite_{_suffix}.db",
        "TEST": {"NAME": BASE_DIR / f"test_sqlite_{_suffix}.db"},
    },
    "postgres": {
        **services.database_settings(services.postgres_url()),
        # No dependency on "default": a run that selects only PostgreSQL tests still works.
        "TEST": {"NAME": f"test_asyncx_{_suffix}", "DEPENDENCIES": []},
    },
    # The native asyncpg engine on the same server (its own test database).
    "native": {
        **services.database_settings(services.postgres_url()),
        "ENGINE": "django_asyncx.db.backends.postgresql",
        "TEST": {"NAME": f"test_asyncx_native_{_suffix}", "DEPENDENCIES": []},
    },
}
if (mariadb := services.mariadb_url(required=False)) is not None:
    DATABASES["mariadb"] = {
        **services.database_settings(mariadb),
        "TEST": {"NAME": f"test_asyncx_{_suffix}", "CHARSET": "utf8mb4", "DEPENDENCIES": []},
    }
