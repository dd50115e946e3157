"""startproject's settings with DEBUG off; ``P1_MIDDLEWARE=asyncx`` swaps in the drop-ins.

``P1_MIDDLEWARE=django`` (the default) keeps Django's 7 middleware; ``asyncx`` passes the
same list through :func:`django_asyncx.middleware.async_native`.
"""

import os
from pathlib import Path

from django_asyncx.middleware import async_native

BASE_DIR = Path(__file__).resolve().parent

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

DJANGO_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
_STACK = os.environ.get("P1_MIDDLEWARE", "django")
if _STACK not in ("django", "asyncx"):
    raise ValueError(f"P1_MIDDLEWARE must be 'django' or 'asyncx', got {_STACK!r}")
MIDDLEWARE = async_native(DJANGO_MIDDLEWARE) if _STACK == "asyncx" else DJANGO_MIDDLEWARE

ROOT_URLCONF = "bench.p1.urls"

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

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": BASE_DIR.parent / "results" / "p1.sqlite3",
    }
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
