"""The example project's settings read DATABASE_URL, REDIS_URL and DJANGO_DEBUG."""

import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from demo.models import Author

from django_asyncx.testing.databases import database_alias

EXAMPLE = Path(__file__).resolve().parent.parent.parent / "example_project"


def manage(env, *args):
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=EXAMPLE, capture_output=True, text=True,
        check=False, timeout=300,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
    )  # fmt: skip
    assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result.stdout


def shell(env, code):
    return manage(env, "shell", "--no-imports", "-c", code).strip()


def test_debug_is_on_by_default_and_off_with_django_debug_0():
    code = "from django.conf import settings; print(settings.DEBUG)"
    assert shell({"DJANGO_DEBUG": ""}, code) == "True"
    assert shell({"DJANGO_DEBUG": "0"}, code) == "False"


def test_sqlite_by_default():
    code = "from django.db import connection as c; print(c.vendor, c.settings_dict['NAME'])"
    assert shell({"DATABASE_URL": ""}, code) == f"sqlite {EXAMPLE / 'db.sqlite3'}"


def test_redis_url_switches_the_cache_to_redis(asyncx_redis_url):
    import redis

    key = f"asyncx-example-{uuid.uuid4().hex}"
    code = (
        "from django.core.cache import caches; cache = caches['default']; "
        f"cache.set({key!r}, 'from the example', 60); print(type(cache).__name__)"
    )
    assert shell({"REDIS_URL": asyncx_redis_url}, code) == "RedisCache"
    client = redis.Redis.from_url(asyncx_redis_url)
    try:
        stored = list(client.keys(f"*{key}"))
        assert len(stored) == 1  # Django prefixes the key with its version
        client.delete(*stored)
    finally:
        client.close()


def test_postgresql_over_a_unix_socket_url(asyncx_fresh_postgres_database, django_db_blocker):
    # The URL form an embedded PostgreSQL server gives: no host, the socket directory as ?host=.
    import psycopg

    with psycopg.connect(asyncx_fresh_postgres_database.url) as connection:
        directories = connection.execute("SHOW unix_socket_directories").fetchone()[0]
    socket_dir = next((d.strip() for d in directories.split(",") if d.strip()), None)
    if socket_dir is None or not Path(socket_dir).is_dir():
        pytest.skip(f"this PostgreSQL server listens on no local socket ({directories!r})")
    parts = urlsplit(asyncx_fresh_postgres_database.url)
    user = parts.username or "postgres"
    url = urlunsplit(("postgresql", f"{user}:@", parts.path, f"host={socket_dir}", ""))
    manage({"DATABASE_URL": url}, "migrate", "--no-input", "-v0")
    manage({"DATABASE_URL": url}, "seed_demo", "--authors", "2", "--books-per-author", "1")
    with django_db_blocker.unblock(), database_alias("socket", url) as db:
        assert db.settings_dict["HOST"] == socket_dir
        assert Author.objects.using("socket").count() == 2


def test_channel_layer_is_in_memory_without_redis_url_and_channels_redis_with_it(asyncx_redis_url):
    code = (
        "from channels.layers import get_channel_layer; print(type(get_channel_layer()).__name__)"
    )
    assert shell({"REDIS_URL": ""}, code) == "InMemoryChannelLayer"
    assert shell({"REDIS_URL": asyncx_redis_url}, code) == "RedisChannelLayer"
