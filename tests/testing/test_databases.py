"""Throwaway databases and temporary aliases, against the real PostgreSQL and MariaDB."""

import pytest
from django.db import connections

from django_asyncx.testing.databases import database_alias, throwaway_database


def postgres_databases(server_url):
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as connection:
        rows = connection.execute("SELECT datname FROM pg_database").fetchall()
    return {name for (name,) in rows}


def mariadb_databases(server_url):
    import MySQLdb

    connection = MySQLdb.connect(host="127.0.0.1", port=3306, user="root", password="")
    try:
        cursor = connection.cursor()
        cursor.execute("SHOW DATABASES")
        return {name for (name,) in cursor.fetchall()}
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("url_fixture", "list_databases"),
    [("asyncx_postgres_url", postgres_databases), ("asyncx_mariadb_url", mariadb_databases)],
    ids=["postgresql", "mariadb"],
)
def test_throwaway_database_exists_inside_and_is_dropped_after(
    request, url_fixture, list_databases
):
    server_url = request.getfixturevalue(url_fixture)
    before = list_databases(server_url)
    with throwaway_database(server_url) as database:
        assert database.name.startswith("asyncx_tmp_")
        assert list_databases(server_url) - before == {database.name}
        assert database.url.endswith(f"/{database.name}") or f"/{database.name}?" in database.url
        assert database.settings()["NAME"] == database.name
    assert database.name not in list_databases(server_url)


def test_throwaway_database_is_dropped_even_with_a_connection_left_open(asyncx_postgres_url):
    import psycopg

    with throwaway_database(asyncx_postgres_url) as database:
        leaked = psycopg.connect(database.url)
    try:
        assert database.name not in postgres_databases(asyncx_postgres_url)
    finally:
        leaked.close()


def test_throwaway_database_is_dropped_when_the_block_raises(asyncx_postgres_url):
    with (
        pytest.raises(RuntimeError, match="boom"),
        throwaway_database(asyncx_postgres_url) as database,
    ):
        raise RuntimeError("boom")
    assert database.name not in postgres_databases(asyncx_postgres_url)


def test_throwaway_database_rejects_other_servers_and_bad_prefixes():
    with (
        pytest.raises(ValueError, match="accepted: postgres, postgresql, mysql, mariadb"),
        throwaway_database("sqlite:///tmp/x.db"),
    ):
        pass
    with (
        pytest.raises(ValueError, match="prefix must be ASCII letters"),
        throwaway_database("postgresql://postgres@127.0.0.1/x", prefix="bad-name;"),
    ):
        pass


def test_database_alias_queries_the_database_and_goes_away(tmp_path, django_db_blocker):
    url = f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
    with django_db_blocker.unblock(), database_alias("scratch", url) as connection:
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE t (n integer)")
            cursor.execute("INSERT INTO t VALUES (41), (1)")
            cursor.execute("SELECT sum(n) FROM t")
            assert cursor.fetchone() == (42,)
        assert connection.settings_dict["NAME"] == str(tmp_path / "scratch.sqlite3")
    assert "scratch" not in connections.settings
    assert connection.connection is None  # closed on the way out


def test_database_alias_refuses_an_existing_alias():
    with (
        pytest.raises(ValueError, match="alias 'default' is already configured"),
        database_alias("default", "sqlite:///x.db"),
    ):
        pass
