"""Settings of both runs (Django's ``test_sqlite.py`` on PostgreSQL).

``ASYNCX_SUITE_ENGINE`` picks the ENGINE (the stock backend, or :mod:`.engine` for the
native run); the test database names carry the checkout's suffix and the run kind, so the
two runs and two checkouts never share a database.
"""

import hashlib
import os
from pathlib import Path

from django_asyncx.testing import services

_ENGINE = "ASYNCX_SUITE_ENGINE"
_engine = os.environ.get(_ENGINE, "django.db.backends.postgresql")
_kind = "stock" if _engine == "django.db.backends.postgresql" else "native"
_suffix = hashlib.sha1(str(Path(__file__).resolve().parent).encode()).hexdigest()[:8]
_server = services.database_settings(services.postgres_url())


def _database(name: str) -> dict[str, object]:
    return {
        **_server,
        "ENGINE": _engine,
        "NAME": name,
        "TEST": {"NAME": f"test_djsuite_{name}_{_kind}_{_suffix}"},
    }


DATABASES = {"default": _database("default"), "other": _database("other")}
SECRET_KEY = "django_tests_secret_key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
USE_TZ = False
TEST_RUNNER = "tests.django_suite.runner.RecordingRunner"
