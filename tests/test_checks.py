"""System checks: invalid ASYNCX and unimportable dotted paths are reported by id."""

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


def test_checks_are_registered_with_django():
    with override_settings(ASYNCX={"NOPE": 1}):
        messages = checks.run_checks(tags=["asyncx"])
    assert "asyncx.E001" in ids(messages)
