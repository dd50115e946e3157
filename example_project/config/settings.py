"""Settings of the example project.

Environment variables:

* ``DATABASE_URL``: the database, e.g. ``postgresql://postgres@127.0.0.1:5432/demo`` (served
  by the native asyncpg engine) or ``mysql://root@127.0.0.1:3306/demo``; without it, SQLite in
  ``example_project/db.sqlite3``.
* ``REDIS_URL``: a Redis server for the cache, e.g. ``redis://127.0.0.1:6379/0``; without it,
  the local-memory cache, and the in-memory channel layer (one process) instead of
  ``channels_redis`` (rooms shared by every process on that Redis).
* ``UPSTREAM_URL``: the upstream service the aggregator page calls (default
  ``http://127.0.0.1:8001``, started with ``python upstream_service.py --port 8001``).
* ``DJANGO_DEBUG``: ``0`` turns debug mode off (it is on by default in this example).
"""

import os
from pathlib import Path

import dj_database_url

from django_asyncx.middleware import async_native

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-project-only-not-secret")
DEBUG = (os.environ.get("DJANGO_DEBUG") or "1").lower() not in ("0", "false", "no", "off")
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_asyncx",
    "demo",
    "bank",
    "pages",
    "aggregator",
    "chat",
]

# Django's default list, swapped for django_asyncx's async-native drop-ins in one line: no
# thread hop per request (`manage.py asyncx_audit` shows the difference).
MIDDLEWARE = [
    *async_native([
        "django.middleware.security.SecurityMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
    ]),
    "django_asyncx.middleware.HttpClientMiddleware",  # request.http
]  # fmt: skip

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
    {
        "BACKEND": "django_asyncx.templates.backends.jinja2.Jinja2",
        "NAME": "jinja2",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"environment": "pages.jinja2.environment"},
    },
]

# An empty DATABASE_URL counts as unset.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=0
    ),
}
# On PostgreSQL, the native engine: async views run the ORM on asyncpg, without threads
# (sync code such as migrate keeps psycopg).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "django_asyncx.db.backends.postgresql"
# On SQLite, concurrent writers (the bridge's pool threads) queue for the write lock instead of
# failing with "database is locked": every transaction takes the lock when it begins
# (IMMEDIATE, so a reader never has to upgrade to a writer mid-transaction), waits up to
# 20 s for it, and WAL lets readers run while one writer writes.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }

# The chat's rooms: in one process without Redis, across processes with it.
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
if os.environ.get("REDIS_URL"):
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # redis-py 8 gives every connection a 5 s read timeout by default; the layer's
            # receive blocks in Redis for up to 5 s, so an idle consumer would crash with
            # "Timeout reading from" (close code 1011). No timeout, as before redis-py 8.
            "CONFIG": {"hosts": [{"address": os.environ["REDIS_URL"], "socket_timeout": None}]},
        }
    }

ASYNCX = {
    "LIFESPAN": ["demo.lifespan"],
    # The aggregator page calls the small upstream service that ships with the example:
    #   python upstream_service.py --port 8001
    "HTTP_CLIENTS": {
        "upstream": {
            "base_url": os.environ.get("UPSTREAM_URL") or "http://127.0.0.1:8001",
            "allowed_hosts": ["127.0.0.1", "localhost"],
            "timeout": {"total": 2, "read": 1},
            "retries": {"max_retries": 2, "backoff": 0.05},
        }
    },
    "HTTP_MIDDLEWARE": {"error_responses": True},
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"  # served by the example itself (config/urls.py), DEBUG or not
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "formatter": "plain",
        }
    },
    "loggers": {
        "demo": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "django_asyncx": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}
