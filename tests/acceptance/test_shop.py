"""The shop project's own suites, each run in a fresh process as its developer would run it.

``tests/acceptance/shop`` is a small Django project (categories, products, orders) with an
ordinary Django test suite (``manage.py test``) and the same scenarios as pytest-django
tests. Neither loads anything of this suite: the pytest plugin comes from the package's
entry point. Each runs unchanged on SQLite, PostgreSQL, the native engine and MariaDB.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from django_asyncx.testing import services

SHOP = Path(__file__).resolve().parent / "shop"
ROOT = SHOP.parents[2]

pytestmark = pytest.mark.acceptance

DATABASES = ["sqlite", "postgres", "native", "mariadb"]


def run_shop(database: str, *args: str) -> str:
    if database == "mariadb" and services.mariadb_url(required=False) is None:
        services.service_unavailable("MariaDB is not answering on 127.0.0.1:3306")
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env.update(SHOP_DB=database, PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, *args], cwd=SHOP, env=env, capture_output=True, text=True,
        timeout=600, check=False,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


@pytest.mark.parametrize("database", DATABASES)
def test_the_django_suite_passes(database):
    output = run_shop(database, "manage.py", "test", "shop", "--noinput")
    ran = re.search(r"Ran (\d+) tests", output)
    assert ran is not None, output
    assert int(ran.group(1)) >= 16, output
    assert "skipped" not in output, output


@pytest.mark.parametrize(
    ("mode", "database"),
    [*(("strict", database) for database in DATABASES), ("auto", "sqlite"), ("auto", "native")],
)
def test_the_pytest_suite_passes(mode, database):
    output = run_shop(database, "-m", "pytest", "-q", "-o", f"asyncio_mode={mode}")
    passed = re.search(r"(\d+) passed", output)
    assert passed is not None, output
    assert int(passed.group(1)) >= 13, output
    assert not re.search(r"\d+ (failed|skipped|error)", output), output
