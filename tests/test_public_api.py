"""The public surface: every module's __all__ is exactly its public names; imports stay light."""

import importlib
import inspect
import pkgutil
import subprocess
import sys

import pytest

import django_asyncx
from django_asyncx import exceptions

# Modules that need an optional dependency to import are checked when it is installed.
MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(django_asyncx.__path__, "django_asyncx.")
    if ".migrations" not in info.name and ".management.commands" not in info.name
)


@pytest.mark.parametrize("name", MODULES)
def test_all_lists_exactly_the_public_names(name):
    module = importlib.import_module(name)
    assert hasattr(module, "__all__"), f"{name} has no __all__"
    public = {
        attr
        for attr, value in vars(module).items()
        if not attr.startswith("_")
        and not inspect.ismodule(value)
        and getattr(value, "__module__", name) == name
        and (inspect.isclass(value) or inspect.isfunction(value))
    }
    assert public <= set(module.__all__), (
        f"{name}: public but not in __all__: {public - set(module.__all__)}"
    )
    for attr in module.__all__:
        assert hasattr(module, attr), f"{name}.__all__ names missing {attr}"


@pytest.mark.parametrize("name", MODULES)
def test_every_public_name_has_a_docstring(name):
    module = importlib.import_module(name)
    assert module.__doc__, f"{name} has no module docstring"
    for attr in module.__all__:
        value = getattr(module, attr)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert value.__doc__, f"{name}.{attr} has no docstring"


def test_importing_the_package_and_its_settings_side_pulls_in_no_optional_dependency():
    code = (
        "import sys, django_asyncx, django_asyncx.conf, django_asyncx.exceptions, "
        "django_asyncx.apps, django_asyncx.lifespan, django_asyncx.asgi\n"
        "heavy = {'aiohttp', 'asyncpg', 'jinja2', 'greenlet', 'psycopg', 'redis'}\n"
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"DJANGO_SETTINGS_MODULE": "", "PATH": ""},
    )
    assert result.stdout.strip() == "[]"


def test_exception_tree_in_the_docstring_names_every_error():
    for name in exceptions.__all__:
        error = getattr(exceptions, name)
        assert issubclass(error, exceptions.AsyncxError)
        assert name in exceptions.__doc__
    for name in exceptions.__all__[1:]:
        # Each error is also the built-in it is a kind of, so existing handlers catch it.
        assert len(getattr(exceptions, name).__mro__) > 3


def test_version_is_the_only_thing_at_the_top():
    assert django_asyncx.__all__ == ["__version__"]
    assert django_asyncx.__version__.count(".") == 2
