"""Settings of the benchmark project, switched by ``BENCH_VIEWS`` and ``BENCH_MIDDLEWARE``.

What ``django-admin startproject`` gives (its 7 middleware, SQLite) with DEBUG off and the
loopback hosts allowed, so that the numbers describe a real default project, not a stripped one.
``BENCH_MIDDLEWARE=asyncx`` passes the same 7 through
:func:`django_asyncx.middleware.async_native`.

``BENCH_VIEWS=templates`` adds the demo app, which comes from ``example_project/`` (the
benchmark puts it on ``PYTHONPATH``), on PostgreSQL: ``BENCH_DATABASE_URL`` names the database
(default: ``postgresql://postgres@127.0.0.1:5432/asyncx_bench_templates``), ``BENCH_DB_ENGINE``
replaces its ENGINE (the native engine: ``django_asyncx.db.backends.postgresql``).
"""

import os
from pathlib import Path

import dj_database_url

from django_asyncx.middleware import async_native

from . import MIDDLEWARE as _MIDDLEWARE_CHOICES
from . import PAGE_DATABASE_URL, TEMPLATES_DATABASE_URL
from . import VIEWS as _VIEWS_CHOICES

BASE_DIR = Path(__file__).resolve().parent


def _choice(name: str, accepted: tuple[str, ...]) -> str:
    value = os.environ.get(name, accepted[0])
    if value not in accepted:
        raise ValueError(f"{name} must be {' or '.join(map(repr, accepted))}, got {value!r}")
    return value


BENCH_VIEWS = _choice("BENCH_VIEWS", _VIEWS_CHOICES)
BENCH_MIDDLEWARE = _choice("BENCH_MIDDLEWARE", _MIDDLEWARE_CHOICES)

SECRET_KEY = "benchmarks-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_asyncx",
]
if BENCH_VIEWS in ("templates", "page"):
    INSTALLED_APPS.append("demo")
if BENCH_MIDDLEWARE.endswith("-extra"):
    INSTALLED_APPS.append("corsheaders")

DJANGO_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
# What real projects add most: CORS headers (async-capable) and WhiteNoise (sync-only),
# where their documentation places them.
EXTRA_MIDDLEWARE = [
    DJANGO_MIDDLEWARE[0],
    "whitenoise.middleware.WhiteNoiseMiddleware",
    DJANGO_MIDDLEWARE[1],
    "corsheaders.middleware.CorsMiddleware",
    *DJANGO_MIDDLEWARE[2:],
]
MIDDLEWARE = {
    "django": DJANGO_MIDDLEWARE,
    "asyncx": async_native(DJANGO_MIDDLEWARE),
    "django-extra": EXTRA_MIDDLEWARE,
    "asyncx-extra": async_native(EXTRA_MIDDLEWARE),
}[BENCH_MIDDLEWARE]
CORS_ALLOWED_ORIGINS = ["https://app.example.com"]

ROOT_URLCONF = f"bench.project.urls.{BENCH_VIEWS}"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

if BENCH_VIEWS in ("templates", "page"):
    _DEFAULT_URL = TEMPLATES_DATABASE_URL if BENCH_VIEWS == "templates" else PAGE_DATABASE_URL
    DATABASES = {
        "default": dj_database_url.parse(
            os.environ.get("BENCH_DATABASE_URL", _DEFAULT_URL), conn_max_age=60
        )
    }
    if os.environ.get("BENCH_DB_ENGINE"):
        DATABASES["default"]["ENGINE"] = os.environ["BENCH_DB_ENGINE"]
else:
    # As startproject configures it, in the git-ignored results folder; the hello views run
    # no query, the p1 page one.
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR.parent / "results" / f"{BENCH_VIEWS}.sqlite3",
        }
    }

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
# collectstatic's target for the page benchmark (WhiteNoise serves from it).
STATIC_ROOT = BASE_DIR.parent / "results" / "static"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
