"""Settings of the bank example served by a live server in a subprocess.

The test passes the database it prepared as ``ASYNCX_BANK_DATABASE`` (a JSON ``DATABASES``
entry), so the server uses the test database with ``CONN_MAX_AGE = 60``.
"""

import json
import os

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "bank.urls"
INSTALLED_APPS = ["django_asyncx", "bank"]
MIDDLEWARE: list[str] = []
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATABASES = {"default": {**json.loads(os.environ["ASYNCX_BANK_DATABASE"]), "CONN_MAX_AGE": 60}}
ASYNCX = {"EXECUTORS": {"db": {"max_workers": 8, "queue_warn_ms": None}}}
