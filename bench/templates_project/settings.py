"""Settings of the template benchmark: the hello project's, plus the demo app on PostgreSQL.

``BENCH_DATABASE_URL`` names the database (default: ``postgresql://postgres@127.0.0.1:5432/
asyncx_bench_templates``); ``BENCH_DB_ENGINE`` replaces its ENGINE (the native engine:
``django_asyncx.db.backends.postgresql``). The demo app comes from ``example_project/``,
which the benchmark puts on ``PYTHONPATH``.
"""

import os

import dj_database_url

from bench.project.settings import *  # noqa: F403
from bench.project.settings import BASE_DIR, INSTALLED_APPS, TEMPLATES

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/asyncx_bench_templates"
)

INSTALLED_APPS = [*INSTALLED_APPS, "demo"]
ROOT_URLCONF = "bench.templates_project.urls"
TEMPLATES = [{**TEMPLATES[0], "DIRS": [BASE_DIR.parent / "templates_project" / "templates"]}]

DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if os.environ.get("BENCH_DB_ENGINE"):
    DATABASES["default"]["ENGINE"] = os.environ["BENCH_DB_ENGINE"]
