"""Several processes against one PostgreSQL through PgBouncer in transaction mode: four uvicorn
workers on the native engine with ``native_pgbouncer``, under load. The server never holds
more connections than PgBouncer's pool, none is left in a transaction, every answer is right;
without ``native_pgbouncer`` the statement cache breaks and the error says what to set."""

import asyncio
import collections
import threading
import time

import aiohttp
import psycopg
import pytest

from tests.support.pgbouncer import config_value, running_pgbouncer

pytestmark = [pytest.mark.servers]

APP = "tests.support.pgbouncer_project.asgi:application"
WORKERS = 4
NATIVE_MAX_SIZE = 10
ACCOUNTS = 3
ROUNDS = 100  # per account and kind: 3 x 100 lookups, raw queries and deposits each
PREPARED_STATEMENT_ERRORS = ("prepared statement", "does not exist", "already exists")


@pytest.fixture
def asyncx_pgbouncer(asyncx_postgres_url, asyncx_fresh_postgres_database):
    """PgBouncer (the documented config) in front of a fresh database with the test's table."""
    with psycopg.connect(asyncx_fresh_postgres_database.url, autocommit=True) as connection:
        connection.execute(
            "CREATE TABLE pgbouncer_account (id serial PRIMARY KEY, name varchar(50) NOT NULL, "
            "balance integer NOT NULL)"
        )
        for index in range(ACCOUNTS):
            connection.execute(
                "INSERT INTO pgbouncer_account (name, balance) VALUES (%s, %s)",
                [f"account-{index}", 1000 * index],
            )
    with running_pgbouncer(asyncx_postgres_url, asyncx_fresh_postgres_database.name) as bouncer:
        yield bouncer


class ServerConnections:
    """Samples, in a thread, the connections PostgreSQL holds for one database."""

    def __init__(self, server_url: str, database: str) -> None:
        self.server_url, self.database = server_url, database
        self.samples: list[tuple[int, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def now(self) -> tuple[int, int]:
        """(connections, of which idle in a transaction) right now."""
        with psycopg.connect(self.server_url, autocommit=True) as connection:
            return self._count(connection)

    def _count(self, connection: psycopg.Connection) -> tuple[int, int]:
        row = connection.execute(
            "SELECT count(*), count(*) FILTER (WHERE state LIKE 'idle in transaction%%') "
            "FROM pg_stat_activity WHERE datname = %s",
            [self.database],
        ).fetchone()
        assert row is not None
        return row[0], row[1]

    def settle(self, done, *, within: float = 15.0) -> tuple[int, int]:
        """The count once ``done(count)`` holds (backends exit a moment after their client)."""
        deadline = time.monotonic() + within
        while not done(now := self.now()) and time.monotonic() < deadline:
            time.sleep(0.05)
        return now

    def _run(self) -> None:
        with psycopg.connect(self.server_url, autocommit=True) as connection:
            while not self._stop.wait(0.01):
                self.samples.append(self._count(connection))

    def __enter__(self) -> "ServerConnections":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()


def serve(asyncx_live_server_factory, bouncer, *, native_pgbouncer):
    env = {
        "PGBOUNCER_PORT": str(bouncer.port),
        "PGBOUNCER_DB": bouncer.database,
        "PGBOUNCER_PASSWORD": bouncer.password,
        "NATIVE_PGBOUNCER": "1" if native_pgbouncer else "0",
        "NATIVE_MAX_SIZE": str(NATIVE_MAX_SIZE),
        "DJANGO_SETTINGS_MODULE": "tests.support.pgbouncer_project.settings",
    }
    return asyncx_live_server_factory(
        APP, env=env, args=["--workers", str(WORKERS)], ready_path="/arithmetic/1/"
    )


PATHS = [
    f"/{kind}/{value}/"
    for round_ in range(ROUNDS)
    for pk in range(1, ACCOUNTS + 1)
    for kind, value in (("account", pk), ("arithmetic", round_ * 10 + pk), ("deposit", pk))
]


async def load(url: str, *, give_up: float | None = None) -> dict[str, list[tuple[int, object]]]:
    """All requests at once: lookups, raw queries with parameters and transactions.

    With ``give_up`` (seconds), a request without an answer by then is recorded as status 0.
    """
    answers: dict[str, list[tuple[int, object]]] = collections.defaultdict(list)
    connector = aiohttp.TCPConnector(limit=300)
    client_timeout = aiohttp.ClientTimeout(total=give_up)
    async with aiohttp.ClientSession(connector=connector, timeout=client_timeout) as session:

        async def fetch(path: str) -> None:
            try:
                async with session.get(url + path) as response:
                    ok = response.status == 200
                    body = await response.json() if ok else await response.text()
                    answers[path].append((response.status, body))
            except TimeoutError:
                if give_up is None:
                    raise
                answers[path].append((0, "no answer within the client's timeout"))

        await asyncio.gather(*(fetch(path) for path in PATHS))
    return answers


def check_answers(answers):
    deposits = collections.defaultdict(list)
    for path, results in answers.items():
        kind, value = path.strip("/").split("/")
        for status, body in results:
            assert status == 200, (path, body)
            if kind == "account":
                assert body["name"] == f"account-{int(value) - 1}"
                assert 1000 * (int(value) - 1) <= body["balance"]
            elif kind == "arithmetic":
                assert body == {"doubled": 2 * int(value), "shouted": f"{value}!"}
            else:
                deposits[int(value)].append(body["balance"])
    for pk, balances in deposits.items():
        # select_for_update serialised them: each deposit saw the one before.
        start = 1000 * (pk - 1)
        assert sorted(balances) == list(range(start + 1, start + ROUNDS + 1)), pk
    return sum(len(results) for results in answers.values())


async def test_four_workers_through_pgbouncer_stay_within_its_pool(
    asyncx_pgbouncer, asyncx_postgres_url, asyncx_live_server_factory
):
    bouncer = asyncx_pgbouncer
    pool_size = int(config_value("max_db_connections"))
    # The clients (workers x native_max_size) outnumber the server connections: PgBouncer
    # does the multiplexing.
    assert pool_size < WORKERS * NATIVE_MAX_SIZE
    connections = ServerConnections(asyncx_postgres_url, bouncer.database)
    assert connections.now() == (0, 0)
    server = serve(asyncx_live_server_factory, bouncer, native_pgbouncer=True)
    with connections:
        answers = await load(server.url)
        answers_again = await load(server.url)  # warm pools, the same SQL again
    total = check_answers(answers) + check_answers_again(answers_again)
    assert total == 2 * len(PATHS)
    peak = max(count for count, _ in connections.samples)
    print(f"server connections: peak {peak} of {pool_size} configured; {total} requests")
    assert 1 <= peak <= pool_size
    # Between transactions a server connection is idle, never left inside a transaction.
    assert connections.now()[1] == 0
    assert not [line for line in bouncer.log().splitlines() if "prepared statement" in line]
    server.stop()
    # PgBouncer keeps its idle server connections (within its pool); stopped, it closes them.
    assert connections.now()[0] <= pool_size
    bouncer.stop()
    assert connections.settle(lambda now: now == (0, 0)) == (0, 0)


def check_answers_again(answers):
    # The second round continues the balances of the first.
    shifted = {
        path: [
            (status, {"balance": body["balance"] - ROUNDS})
            if path.startswith("/deposit/")
            else (status, body)
            for status, body in results
        ]
        for path, results in answers.items()
    }
    return check_answers(shifted)


async def test_without_native_pgbouncer_the_statement_cache_breaks_with_a_clear_error(
    asyncx_pgbouncer, asyncx_live_server_factory
):
    server = serve(asyncx_live_server_factory, asyncx_pgbouncer, native_pgbouncer=False)
    # Misconfigured, a request can also go unanswered (the load once hung until the suite's
    # timeout; the cause is not known yet): the client gives up on it after 60 s instead.
    answers = await load(server.url, give_up=60)
    server.stop()
    failed = [body for results in answers.values() for status, body in results if status != 200]
    assert failed, "the statement cache survived transaction pooling"
    print(f"without native_pgbouncer: {len(failed)} of {len(PATHS)} requests failed")
    output = server.output
    assert any(error in output for error in PREPARED_STATEMENT_ERRORS), output[-3000:]
    assert '["OPTIONS"]["native_pgbouncer"] = True for it' in output, output[-3000:]
