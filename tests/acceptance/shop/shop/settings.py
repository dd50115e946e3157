"""The shop: a small project a user could have written, run on four databases.

``SHOP_DB`` picks the database: ``sqlite`` (default), ``postgres`` (psycopg), ``native``
(django_asyncx's asyncpg engine) or ``mariadb``.
"""

import hashlib
import os
from pathlib import Path

import django

from django_asyncx.middleware import async_native
from django_asyncx.testing import services

BASE_DIR = Path(__file__).resolve().parent
# Test databases of two checkouts (and two Django versions) never collide on one server.
_suffix = hashlib.sha1(str(BASE_DIR).encode()).hexdigest()[:8] + f"_dj{django.VERSION[0]}"

SECRET_KEY = "shop-tests-only"
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["testserver", "localhost"]
ROOT_URLCONF = "shop.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
if django.VERSION >= (6, 1):
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend"}}

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django_asyncx",
    "shop",
]

MIDDLEWARE = [
    *async_native(
        [
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
        ]
    ),
    "django_asyncx.middleware.HttpClientMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

SHOP_DB = os.environ.get("SHOP_DB", "sqlite")
if SHOP_DB == "sqlite":
    _database = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": BASE_DIR / f"shop_{_suffix}.sqlite3",
        "TEST": {"NAME": BASE_DIR / f"test_shop_{_suffix}.sqlite3"},
    }
elif SHOP_DB in ("postgres", "native"):
    _database = services.database_settings(services.postgres_url())
    if SHOP_DB == "native":
        _database["ENGINE"] = "django_asyncx.db.backends.postgresql"
    _database["TEST"] = {"NAME": f"test_shop_{SHOP_DB}_{_suffix}"}
elif SHOP_DB == "mariadb":
    _url = services.mariadb_url()
    assert _url is not None
    _database = services.database_settings(_url)
    _database["TEST"] = {"NAME": f"test_shop_{_suffix}", "CHARSET": "utf8mb4"}
else:
    raise ValueError(f"SHOP_DB={SHOP_DB!r}; accepted: sqlite, postgres, native, mariadb")
DATABASES = {"default": {**_database, "ATOMIC_REQUESTS": True}}

ASYNCX = {
    # Exchange rates come from another service; the tests point "rates" at their upstream.
    "HTTP_CLIENTS": {"rates": {"base_url": "https://rates.example.com/"}},
    "HTTP_MIDDLEWARE": {"client": "rates"},
}
