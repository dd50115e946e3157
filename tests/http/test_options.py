"""ASYNCX["HTTP_CLIENTS"] and ["HTTP_MIDDLEWARE"]: defaults, and errors naming the key."""

import pytest
from django.test import override_settings

from django_asyncx.conf import asyncx_settings, validate
from django_asyncx.exceptions import ConfigurationError
from django_asyncx.options import ClientOptions, MiddlewareOptions, Retry, Timeout


def test_a_default_client_always_exists():
    assert validate({})["HTTP_CLIENTS"] == {"default": ClientOptions()}
    clients = validate({"HTTP_CLIENTS": {"github": {"base_url": "https://api.github.com"}}})
    assert set(clients["HTTP_CLIENTS"]) == {"default", "github"}


def test_options_are_normalised_into_value_objects():
    clients = validate(
        {
            "HTTP_CLIENTS": {
                "github": {
                    "base_url": "https://api.github.com",
                    "timeout": {"connect": 2},
                    "retries": {"max_retries": 4, "statuses": [503]},
                    "headers": {"Accept": "application/json"},
                    "limit_per_host": 20,
                    "allowed_hosts": ["Internal.Example.", "10.0.0.0/8"],
                }
            }
        }
    )["HTTP_CLIENTS"]
    github = clients["github"]
    assert github.timeout == Timeout(total=30.0, connect=2.0, read=30.0)
    assert github.retries == Retry(max_retries=4, statuses=frozenset({503}))
    assert github.headers == (("Accept", "application/json"),)
    assert github.allowed_hosts == ("internal.example", "10.0.0.0/8")
    assert github.limit_per_host == 20


def test_a_number_as_timeout_is_the_total_and_an_int_as_retries_is_max_retries():
    options = ClientOptions.parse("x", {"timeout": 5, "retries": 0})
    assert options.timeout.total == 5.0
    assert options.retries.max_retries == 0


@pytest.mark.parametrize(
    ("clients", "key", "accepted"),
    [
        (
            {"github": {"timeout": {"connect": -1}}},
            '["github"]["timeout"]["connect"]',
            "a number of seconds > 0",
        ),
        ({"github": {"timeout": {"conect": 1}}}, '["github"]["timeout"]', "total, connect, read"),
        (
            {"github": {"retries": {"max_retries": "3"}}},
            '["github"]["retries"]["max_retries"]',
            ">= 0",
        ),
        (
            {"github": {"retries": {"statuses": [700]}}},
            '["github"]["retries"]["statuses"]',
            "100-599",
        ),
        ({"github": {"base_url": "api.github.com"}}, '["github"]["base_url"]', "absolute http"),
        ({"github": {"headers": {"X": 1}}}, '["github"]["headers"]', "both str"),
        ({"github": {"allowed_hosts": "a.example"}}, '["github"]["allowed_hosts"]', "host names"),
        ({"github": {"allowed_hosts": ["10.0.0.0/33"]}}, '["github"]["allowed_hosts"][0]', "CIDR"),
        ({"github": {"allow_private": "yes"}}, '["github"]["allow_private"]', "True or False"),
        ({"github": {"max_body_size": 0}}, '["github"]["max_body_size"]', ">= 1, or None"),
        ({"github": {"limit": -1}}, '["github"]["limit"]', ">= 0"),
        ({"github": {"bas_url": "x"}}, '["github"]', "base_url, timeout"),
        ({"github": []}, '["github"]', "a dict with keys"),
        (
            {"api": {"headers": {"X-Key": "k\r\nX-Injected: 1"}}},
            '["api"]["headers"]["X-Key"]',
            "no CR, LF or NUL",
        ),
        ({"api": {"headers": {"X-Key": "k\n"}}}, '["api"]["headers"]["X-Key"]', "no CR, LF"),
        ({"api": {"headers": {"X Key": "k"}}}, '["api"]["headers"]["X Key"]', "a token"),
        ({"api": {"base_url": "http://"}}, '["api"]["base_url"]', "with a host"),
        ({"api": {"base_url": "https:///path"}}, '["api"]["base_url"]', "with a host"),
        ({"api": {"base_url": "http://h:99999"}}, '["api"]["base_url"]', "port"),
        ({"api": {"base_url": "http://a b/"}}, '["api"]["base_url"]', "with a host"),
        ({"api": {"credential_headers": "X-Key"}}, '["api"]["credential_headers"]', "a list"),
        (
            {"api": {"credential_headers": ["X Key"]}},
            '["api"]["credential_headers"][0]',
            "header names",
        ),
        ({"api": {"allowed_hosts": ["a.example:http"]}}, '["api"]["allowed_hosts"][0]', "port"),
        ({"api": {"allowed_hosts": ["a.example:0"]}}, '["api"]["allowed_hosts"][0]', "port"),
    ],
)
def test_invalid_client_options_name_the_nested_key(clients, key, accepted):
    with pytest.raises(ConfigurationError) as info:
        validate({"HTTP_CLIENTS": clients})
    message = str(info.value)
    assert "X-Injected: 1" not in message  # a header value may be a secret
    assert f'ASYNCX["HTTP_CLIENTS"]{key}' in message
    assert accepted in message


def test_http_clients_must_be_a_dict():
    with pytest.raises(ConfigurationError, match=r'ASYNCX\["HTTP_CLIENTS"\] is \[\]'):
        validate({"HTTP_CLIENTS": []})


def test_middleware_options():
    assert validate({})["HTTP_MIDDLEWARE"] == MiddlewareOptions()
    options = validate({"HTTP_MIDDLEWARE": {"server_timing": True, "error_responses": True}})
    assert options["HTTP_MIDDLEWARE"].server_timing is True
    with pytest.raises(ConfigurationError, match=r'\["HTTP_MIDDLEWARE"\]\["server_timing"\]'):
        validate({"HTTP_MIDDLEWARE": {"server_timing": "on"}})
    with pytest.raises(ConfigurationError, match=r'\["request_id_header"\]'):
        validate({"HTTP_MIDDLEWARE": {"request_id_header": "X Request"}})
    with pytest.raises(ConfigurationError, match="unknown key 'timing'"):
        validate({"HTTP_MIDDLEWARE": {"timing": True}})


def test_invalid_http_settings_fail_on_first_read():
    with (
        override_settings(ASYNCX={"HTTP_CLIENTS": {"x": {"timeout": {"read": 0}}}}),
        pytest.raises(ConfigurationError, match=r'\["x"\]\["timeout"\]\["read"\] is 0'),
    ):
        asyncx_settings.HTTP_CLIENTS  # noqa: B018


def test_the_system_check_reports_invalid_http_settings():
    from django_asyncx.checks import check_settings

    with override_settings(ASYNCX={"HTTP_CLIENTS": {"x": {"limit": "many"}}}):
        errors = check_settings()
    assert [e.id for e in errors] == ["asyncx.E001"]
    assert 'ASYNCX["HTTP_CLIENTS"]["x"]["limit"]' in errors[0].msg


async def test_per_call_options_are_validated_with_the_argument_named(upstream):
    from django_asyncx.http import get_client

    with upstream.override_clients("default"):
        with pytest.raises(ConfigurationError, match=r'timeout\["read"\] is -2'):
            await get_client().get("/", timeout={"read": -2})
        with pytest.raises(ConfigurationError, match=r"retries has unknown key 'backof'"):
            await get_client().get("/", retries={"backof": 1})
    assert upstream.request_count == 0


def test_credential_headers_and_host_port_entries_are_normalised():
    clients = validate(
        {
            "HTTP_CLIENTS": {
                "api": {
                    "credential_headers": ["X-Api-Key"],
                    "allowed_hosts": ["API.internal:8443", "[::1]:8001", "10.0.0.1:80"],
                }
            }
        }
    )["HTTP_CLIENTS"]
    assert clients["api"].credential_headers == ("x-api-key",)
    assert clients["api"].allowed_hosts == ("api.internal:8443", "[::1]:8001", "10.0.0.1:80")


def test_header_injection_in_settings_fails_the_check_and_the_first_read():
    from django_asyncx.checks import check_settings

    config = {"HTTP_CLIENTS": {"api": {"headers": {"X-Key": "k\r\nX: 1"}}}}
    with override_settings(ASYNCX=config):
        errors = check_settings()
        with pytest.raises(ConfigurationError, match=r'\["api"\]\["headers"\]\["X-Key"\]'):
            asyncx_settings.HTTP_CLIENTS  # noqa: B018
    assert [e.id for e in errors] == ["asyncx.E001"]
    assert 'ASYNCX["HTTP_CLIENTS"]["api"]["headers"]["X-Key"]' in errors[0].msg
    with override_settings(ASYNCX={"HTTP_CLIENTS": {"api": {"base_url": "http://"}}}):
        errors = check_settings()
    assert 'ASYNCX["HTTP_CLIENTS"]["api"]["base_url"]' in errors[0].msg


def test_manage_py_check_reports_a_hostless_base_url(tmp_path):
    import subprocess
    import sys

    settings_file = tmp_path / "hostless_settings.py"
    settings_file.write_text(
        "SECRET_KEY = 'x'\n"
        "INSTALLED_APPS = ['django_asyncx']\n"
        "ASYNCX = {'HTTP_CLIENTS': {'api': {'base_url': 'http://'}}}\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "django", "check"],
        env={"PYTHONPATH": str(tmp_path), "DJANGO_SETTINGS_MODULE": "hostless_settings"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert 'ASYNCX["HTTP_CLIENTS"]["api"]["base_url"]' in result.stderr
