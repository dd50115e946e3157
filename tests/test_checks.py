"""System checks: invalid ASYNCX and unimportable dotted paths are reported by id."""

import pytest
from django.core import checks
from django.test import override_settings

from django_asyncx.checks import check_settings


def ids(messages):
    return [message.id for message in messages]


def test_valid_settings_pass():
    with override_settings(ASYNCX={"LIFESPAN": ["tests.support.lifespan_hooks"]}):
        assert check_settings() == []


def test_invalid_settings_are_e001_with_the_key():
    with override_settings(ASYNCX={"LIFESPAN": "tests.support.lifespan_hooks"}):
        messages = check_settings()
    assert ids(messages) == ["asyncx.E001"]
    assert 'ASYNCX["LIFESPAN"]' in messages[0].msg


def test_unimportable_paths_are_e002_each():
    with override_settings(
        ASYNCX={
            "LIFESPAN": ["tests.support.lifespan_hooks", "tests.nowhere"],
            "WEBSOCKET_APPLICATION": "tests.urls.no_such_app",
        }
    ):
        messages = check_settings()
    assert ids(messages) == ["asyncx.E002", "asyncx.E002"]
    assert "ASYNCX[\"LIFESPAN\"][1] = 'tests.nowhere'" in messages[0].msg
    assert 'ASYNCX["WEBSOCKET_APPLICATION"]' in messages[1].msg


def test_loop_safe_middleware_entries_are_checked():
    good = "tests.support.chain_app.middleware.SafeBySetting"
    with override_settings(ASYNCX={"LOOP_SAFE_MIDDLEWARE": [good]}):
        assert check_settings() == []
    with override_settings(
        ASYNCX={
            "LOOP_SAFE_MIDDLEWARE": [
                good,
                "tests.support.chain_app.middleware.Nope",
                "tests.support.chain_app.middleware.Outer",
            ]
        }
    ):
        messages = check_settings()
    assert ids(messages) == ["asyncx.E003", "asyncx.E003"]
    assert messages[0].msg.startswith(
        "ASYNCX[\"LOOP_SAFE_MIDDLEWARE\"] entry 'tests.support.chain_app.middleware.Nope' "
        "cannot be imported"
    )
    assert messages[1].msg.endswith(
        "is <class 'tests.support.chain_app.middleware.Outer'>, not a MiddlewareMixin subclass"
    )
    with override_settings(ASYNCX={"LOOP_SAFE_MIDDLEWARE": "a.B"}):
        [message] = check_settings()
    assert message.id == "asyncx.E001"
    assert message.msg.startswith("ASYNCX[\"LOOP_SAFE_MIDDLEWARE\"] is 'a.B'")


def test_checks_are_registered_with_django():
    with override_settings(ASYNCX={"NOPE": 1}):
        messages = checks.run_checks(tags=["asyncx"])
    assert "asyncx.E001" in ids(messages)


NATIVE_SETTINGS = """\
SECRET_KEY = "x"
INSTALLED_APPS = ["django_asyncx"]
DATABASES = {{"default": {{
    "ENGINE": "django_asyncx.db.backends.postgresql",
    "NAME": "postgres", "USER": "postgres", "HOST": "127.0.0.1",
    {entry}
}}}}
"""


def manage_py_check(tmp_path, entry, *args):
    """Run `manage.py check` (as `django-admin`) in a fresh process with ``entry`` in the
    alias's settings; return the exit code and the output. It connects to nothing."""
    import os
    import subprocess
    import sys

    (tmp_path / "native_check_settings.py").write_text(NATIVE_SETTINGS.format(entry=entry))
    env = {
        **os.environ,
        "PYTHONPATH": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "native_check_settings",
    }
    done = subprocess.run(
        [sys.executable, "-m", "django", "check", *args], capture_output=True, text=True, env=env
    )
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize("args", [(), ("--database", "default")], ids=["plain", "database"])
@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ('"OPTIONS": {"native_max_size": 0},', '["native_max_size"] is 0; accepted: an int >= 1'),
        ('"OPTIONS": {"isolation_level": 9},', '["isolation_level"] is 9; accepted: one of'),
        ('"PORT": "notaport",', '["PORT"] is \'notaport\'; accepted: empty ("") or a port'),
        ('"OPTIONS": {"native_max_sise": 5},', "(did you mean 'native_max_size'?)"),
    ],
    ids=["max_size", "isolation_level", "port", "typo"],
)
def test_manage_py_check_reports_bad_native_settings_as_e041(tmp_path, entry, expected, args):
    code, output = manage_py_check(tmp_path, entry, *args)
    assert code == 1
    assert "asyncx.E041" in output
    assert expected in output
    assert "Traceback" not in output


def test_manage_py_check_refuses_pgbouncer_mode_with_server_side_cursors(tmp_path):
    code, output = manage_py_check(tmp_path, '"OPTIONS": {"native_pgbouncer": True},')
    assert (code, "asyncx.E042" in output, "Traceback" in output) == (1, True, False)
    assert 'DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True' in output
    entry = '"OPTIONS": {"native_pgbouncer": True}, "DISABLE_SERVER_SIDE_CURSORS": True,'
    code, output = manage_py_check(tmp_path, entry, "--database", "default")
    assert (code, output.strip()) == (0, "System check identified no issues (0 silenced).")
