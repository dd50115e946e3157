"""The native engine's OPTIONS: validated with errors that name the key; psycopg never sees
them; the pool honours them (counted on the server)."""

import asyncio

import pytest
from django.db import connections

from django_asyncx.db.backends.postgresql.base import DatabaseWrapper
from django_asyncx.db.backends.postgresql.native import run_native
from django_asyncx.db.backends.postgresql.pool import WrapperPool, get_pool
from django_asyncx.exceptions import ConfigurationError, PoolTimeoutError
from django_asyncx.options import NativeOptions

DB = "native"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"native_max_size": 0},
            r'\["native_max_size"\] is 0; accepted: an int >= 1',
        ),
        ({"native_max_size": "5"}, r"is '5'; accepted: an int >= 1"),
        ({"native_min_size": -1}, r'\["native_min_size"\] is -1; accepted: an int >= 0'),
        ({"native_min_size": 3, "native_max_size": 2}, "min_size <= max_size"),
        ({"native_statement_cache_size": True}, r'\["native_statement_cache_size"\]'),
        (
            {"native_pgbouncer": "yes"},
            r'\["native_pgbouncer"\] is \'yes\'; accepted: True or False',
        ),
        (
            {"native_pgbouncer": True, "native_statement_cache_size": 50},
            "PgBouncer in transaction mode",
        ),
        (
            {"native_acquire_timeout": 0},
            r'\["native_acquire_timeout"\] is 0; accepted: a number of seconds > 0, or None',
        ),
        ({"connect_timeout": "soon"}, r'\["connect_timeout"\] is \'soon\'; accepted: a number'),
        (
            {"native_max_sise": 5},
            r"unknown key 'native_max_sise' \(did you mean 'native_max_size'\?\); accepted",
        ),
        ({"native_nope": 1}, r"unknown key 'native_nope'; accepted native keys: native_"),
        ({"isolation_level": 9}, r"is 9; accepted: one of the psycopg.IsolationLevel values"),
        ({"isolation_level": True}, r"is True; accepted: one of the psycopg.IsolationLevel"),
    ],
)
def test_bad_options_raise_errors_naming_the_key(options, message):
    with pytest.raises(ConfigurationError, match=r'DATABASES\["x"\]\["OPTIONS"\]') as info:
        NativeOptions.parse("x", options)
    assert info.match(message)


def test_defaults_and_pgbouncer_mode():
    assert NativeOptions.parse("x", {}) == NativeOptions()
    bouncer = NativeOptions.parse("x", {"native_pgbouncer": True, "connect_timeout": "3"})
    assert bouncer.statement_cache_size == 0
    assert bouncer.connect_timeout == 3.0


def test_the_engine_validates_at_first_use_and_hides_native_keys_from_psycopg():
    settings = {**connections.settings[DB], "OPTIONS": {"native_max_size": 3, "sslmode": "prefer"}}
    wrapper = DatabaseWrapper(settings, "x")
    assert wrapper.native_options.max_size == 3
    params = wrapper.get_connection_params()
    assert "native_max_size" not in params
    assert params["sslmode"] == "prefer"
    # Django makes wrappers for its own checks: creating one must not raise, so that
    # `manage.py check --database` reports asyncx.E041 instead of crashing.
    bad = DatabaseWrapper({**settings, "OPTIONS": {"native_max_size": -1}}, "x")
    with pytest.raises(
        ConfigurationError, match=r'DATABASES\["x"\]\["OPTIONS"\]\["native_max_size"\]'
    ):
        bad.native_options  # noqa: B018
    with pytest.raises(ConfigurationError, match=r'DATABASES\["x"\]\["PORT"\] is \'x\''):
        DatabaseWrapper({**settings, "PORT": "x"}, "x").native_options  # noqa: B018


def test_the_engine_constant_names_this_engine():
    from django.db.utils import load_backend

    from django_asyncx.options import NATIVE_ENGINE

    assert load_backend(NATIVE_ENGINE).DatabaseWrapper is DatabaseWrapper


@pytest.mark.django_db(transaction=True, databases=["native"])
async def test_the_pool_parses_options_once_and_its_wrappers_reuse_them(native_options_set):
    native_options_set(native_max_size=2, connect_timeout=4)
    pool = await get_pool(DB)
    assert pool.options == NativeOptions(max_size=2, connect_timeout=4.0)
    first, second = await pool.acquire(), await pool.acquire()
    try:
        assert first.native_options is second.native_options is pool.options
    finally:
        pool.release(first)
        pool.release(second)


@pytest.mark.django_db(transaction=True, databases=["native"])
async def test_max_size_bounds_the_connections_and_min_size_opens_them_up_front(
    native_options_set,
):
    native_options_set(native_max_size=3, native_min_size=2, native_acquire_timeout=0.5)
    pool = await get_pool(DB)
    assert pool.connected == pool.size == 2
    pids = set()

    def pid():
        connections[DB].ensure_connection()
        pids.add(connections[DB].connection.info.backend_pid)
        with connections[DB].cursor() as cursor:
            cursor.execute("SELECT pg_sleep(0.05)")

    await asyncio.gather(*(run_native(pid, using=DB) for _ in range(12)))
    assert len(pids) == 3
    assert pool.size == 3


@pytest.mark.django_db(transaction=True, databases=["native"])
async def test_acquire_timeout_raises_a_clear_error(native_options_set):
    native_options_set(native_max_size=1, native_acquire_timeout=0.2)
    gate = asyncio.Event()

    async def hold():
        await run_native(lambda: connections[DB].ensure_connection(), using=DB)

    pool: WrapperPool = await get_pool(DB)
    wrapper = await pool.acquire()  # the only one
    try:
        with pytest.raises(PoolTimeoutError, match=r"\['native_max_size'\]|native_max_size"):
            await run_native(lambda: None, using=DB)
    finally:
        pool.release(wrapper)
        gate.set()
    await hold()
    assert pool.size == 1


@pytest.mark.django_db(transaction=True, databases=["native"])
async def test_pgbouncer_mode_keeps_no_prepared_statements(native_options_set):
    native_options_set(native_pgbouncer=True)

    def prepared():
        with connections[DB].cursor() as cursor:
            cursor.execute("SELECT %s::int + 1", [1])
            cursor.execute("SELECT count(*) FROM pg_prepared_statements")
            return cursor.fetchone()[0]

    assert await run_native(prepared, using=DB) == 0


@pytest.mark.django_db(transaction=True, databases=["native"])
async def test_by_default_statements_stay_prepared_on_the_connection():
    def prepared():
        with connections[DB].cursor() as cursor:
            cursor.execute("SELECT %s::int + 1", [1])
            cursor.execute("SELECT count(*) FROM pg_prepared_statements")
            return cursor.fetchone()[0]

    assert await run_native(prepared, using=DB) >= 1


def test_system_checks_report_bad_native_options_and_missing_packages(monkeypatch):
    from django.conf import settings

    from django_asyncx.checks import check_native_engine

    assert check_native_engine() == []
    databases = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
        "pg": {"ENGINE": "django_asyncx.db.backends.postgresql", "OPTIONS": {"native_max_size": 0}},
    }
    monkeypatch.setattr(settings, "DATABASES", databases)  # read by the check only
    errors = check_native_engine()
    assert [e.id for e in errors] == ["asyncx.E041"]
    assert 'DATABASES["pg"]["OPTIONS"]["native_max_size"]' in errors[0].msg
    monkeypatch.setitem(__import__("sys").modules, "asyncpg", None)
    errors = check_native_engine()
    assert [e.id for e in errors] == ["asyncx.E040", "asyncx.E041"]
    assert "needs asyncpg" in errors[0].msg
    assert "django-asyncx[postgres]" in errors[0].hint


@pytest.mark.django_db(transaction=True, databases=["native"])
async def test_libpq_options_the_native_path_honours(native_options_set):
    from psycopg import IsolationLevel

    native_options_set(
        isolation_level=IsolationLevel.SERIALIZABLE, application_name="asyncx-native-test"
    )

    def session():
        with connections[DB].cursor() as cursor:
            cursor.execute("SHOW transaction_isolation")
            isolation = cursor.fetchone()[0]
            cursor.execute("SHOW application_name")
            return isolation, cursor.fetchone()[0]

    assert await run_native(session, using=DB) == ("serializable", "asyncx-native-test")


def test_system_checks_refuse_an_isolation_level_with_pgbouncer_mode(monkeypatch):
    from django.conf import settings

    from django_asyncx.checks import check_native_engine

    entry = {
        "ENGINE": "django_asyncx.db.backends.postgresql",
        "DISABLE_SERVER_SIDE_CURSORS": True,
        "OPTIONS": {"native_pgbouncer": True},
    }
    monkeypatch.setattr(settings, "DATABASES", {"pg": entry})  # read by the check only
    assert check_native_engine() == []
    entry["OPTIONS"]["isolation_level"] = 4
    errors = check_native_engine()
    assert [e.id for e in errors] == ["asyncx.E043"]
    assert 'DATABASES["pg"]["OPTIONS"] sets isolation_level' in errors[0].msg
    assert "unsupported startup parameter" in errors[0].msg


def test_valid_isolation_levels_and_ports_pass():
    from psycopg import IsolationLevel

    settings = connections.settings[DB]
    for level in IsolationLevel:
        assert NativeOptions.parse("x", {"isolation_level": level}) == NativeOptions()
    for port in ("", None, 5432, "5432", 1, 65535):
        assert NativeOptions.for_alias("x", {**settings, "PORT": port}) == NativeOptions()
    for port in (0, 65536, "-1", "54 32", 5432.0, True):
        with pytest.raises(ConfigurationError, match=r'DATABASES\["x"\]\["PORT"\] is '):
            NativeOptions.for_alias("x", {**settings, "PORT": port})
