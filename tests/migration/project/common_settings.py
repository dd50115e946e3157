"""What every step of the library project shares: the database, templates, static files.

``LIBRARY_DB`` picks the database: ``sqlite`` (default) or ``postgres``.
"""

import hashlib
import os
from pathlib import Path

import django

from django_asyncx.testing import services

BASE_DIR = Path(__file__).resolve().parent
# Test databases of two checkouts (and two Django versions) never collide on one server.
_suffix = hashlib.sha1(str(BASE_DIR).encode()).hexdigest()[:8] + f"_dj{django.VERSION[0]}"

SECRET_KEY = "library-tests-only"
DEBUG = True
USE_TZ = True
ALLOWED_HOSTS: list[str] = []
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
STATIC_URL = "static/"
if django.VERSION >= (6, 1):
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
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

LIBRARY_DB = os.environ.get("LIBRARY_DB", "sqlite")
if LIBRARY_DB == "sqlite":
    _database = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": BASE_DIR / f"library_{_suffix}.sqlite3",
        "TEST": {"NAME": BASE_DIR / f"test_library_{_suffix}.sqlite3"},
    }
elif LIBRARY_DB == "postgres":
    _database = services.database_settings(services.postgres_url())
    _database["TEST"] = {"NAME": f"test_library_{_suffix}"}
else:
    raise ValueError(f"LIBRARY_DB={LIBRARY_DB!r}; accepted: sqlite, postgres")
DATABASES = {"default": _database}

# The exchange-rate service the price view asks.
RATES_URL = os.environ.get("RATES_URL", "https://rates.example.com")
