"""The ASYNCX settings dict: defaults, validation messages, reset on override_settings."""

import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from django_asyncx.conf import OPTIONS, asyncx_settings, validate
from django_asyncx.exceptions import ConfigurationError


def test_defaults_apply_when_asyncx_is_absent():
    with override_settings():
        assert asyncx_settings.LIFESPAN == ()
        assert asyncx_settings.WEBSOCKET_APPLICATION is None


def test_unknown_key_is_named_with_the_accepted_keys():
    with pytest.raises(ConfigurationError) as info:
        validate({"LIFESPAM": []})
    message = str(info.value)
    assert "'LIFESPAM'" in message
    for key in OPTIONS:
        assert key in message


def test_wrong_type_names_the_key_the_value_and_what_is_accepted():
    with pytest.raises(ConfigurationError) as info:
        validate({"LIFESPAN": "myproject.lifespan"})
    message = str(info.value)
    assert 'ASYNCX["LIFESPAN"]' in message
    assert "'myproject.lifespan'" in message
    assert "list of dotted paths" in message


def test_bad_item_in_a_list_is_pointed_at_by_index():
    with pytest.raises(ConfigurationError, match=r'ASYNCX\["LIFESPAN"\]\[1\] is 42'):
        validate({"LIFESPAN": ["ok.path", 42]})


def test_asyncx_must_be_a_dict():
    with pytest.raises(ConfigurationError, match=r"ASYNCX is \['LIFESPAN'\]; accepted: a dict"):
        validate(["LIFESPAN"])


def test_configuration_error_is_an_improperly_configured():
    with pytest.raises(ImproperlyConfigured):
        validate({"NOPE": 1})


def test_values_are_normalised():
    assert validate({"LIFESPAN": ["a.b", "c.d"]})["LIFESPAN"] == ("a.b", "c.d")


def test_override_settings_takes_effect_and_is_undone():
    assert asyncx_settings.LIFESPAN == ()
    with override_settings(ASYNCX={"LIFESPAN": ["tests.support.lifespan_hooks"]}):
        assert asyncx_settings.LIFESPAN == ("tests.support.lifespan_hooks",)
    assert asyncx_settings.LIFESPAN == ()


def test_invalid_settings_raise_on_first_read():
    with (
        override_settings(ASYNCX={"WEBSOCKET_APPLICATION": 3}),
        pytest.raises(ConfigurationError, match=r'ASYNCX\["WEBSOCKET_APPLICATION"\]'),
    ):
        asyncx_settings.WEBSOCKET_APPLICATION  # noqa: B018


def test_unknown_attribute_is_an_attribute_error_naming_the_options():
    with pytest.raises(AttributeError, match="LIFESPAN"):
        asyncx_settings.NOT_AN_OPTION  # noqa: B018


def test_the_settings_side_imports_no_feature_to_validate_it():
    # conf.py validates HTTP_CLIENTS and EXECUTORS without importing the HTTP client, the
    # executors or the database layer (a fresh interpreter shows what an import loads).
    features = ("django_asyncx.http", "django_asyncx.db", "django_asyncx.executors")
    code = (
        "import sys, django_asyncx.conf, django_asyncx.checks\n"
        f"print(sorted(m for m in sys.modules if m.startswith({features!r})))"
    )
    env = {"DJANGO_SETTINGS_MODULE": "", "PATH": ""}
    assert subprocess.check_output([sys.executable, "-c", code], env=env, text=True) == "[]\n"
