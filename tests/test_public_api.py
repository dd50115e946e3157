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


def optional_dependencies_imported_by(*modules):
    """The optional dependencies that importing ``modules`` in a fresh interpreter imports."""
    code = (
        f"import sys, {', '.join(modules)}\n"
        "heavy = {'aiohttp', 'asyncpg', 'jinja2', 'greenlet', 'opentelemetry', 'psycopg',"
        " 'redis'}\n"
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"DJANGO_SETTINGS_MODULE": "", "PATH": ""},
    )
    return result.stdout.strip()


def test_importing_the_package_and_its_settings_side_pulls_in_no_optional_dependency():
    imported = optional_dependencies_imported_by(
        "django_asyncx",
        "django_asyncx.conf",
        "django_asyncx.exceptions",
        "django_asyncx.apps",
        "django_asyncx.lifespan",
        "django_asyncx.asgi",
    )
    assert imported == "[]"


def test_settings_can_import_the_middleware_package_and_views_pull_in_no_optional_dependency():
    imported = optional_dependencies_imported_by("django_asyncx.middleware", "django_asyncx.views")
    assert imported == "[]"


def test_views_and_the_drop_ins_but_auth_load_in_a_project_without_django_contrib_auth():
    code = (
        "import django\n"
        "from django.conf import settings\n"
        "settings.configure(INSTALLED_APPS=[], DATABASES={})\n"
        "django.setup()\n"
        "from django.utils.module_loading import import_string\n"
        "import django_asyncx.views\n"
        "from django_asyncx.middleware import DROP_INS\n"
        "for django_path, path in DROP_INS.items():\n"
        "    if not django_path.startswith('django.contrib.auth.'):\n"
        "        import_string(path)\n"
        "print('ok')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={"PATH": ""}
    )
    assert result.stdout.strip() == "ok", result.stderr


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


# What users import today, from where the docs and the README tell them to import it. A module
# may move inside the package; these names keep importing from here (a re-export stays).
IMPORTED_BY_USERS = {
    "django_asyncx.asgi": "ASGIApplication ASGIHandler AsyncxApplication get_asgi_application",
    "django_asyncx.db": "AsyncAtomic Related agather alist aon_commit aresolve atomic "
    "database_sync_to_async run_in_db",
    "django_asyncx.db.backends.postgresql.native": "NativeAtomic native_atomic native_iterator "
    "run_native uses_native_path",
    "django_asyncx.views": "AsyncCreateView AsyncDeleteView AsyncDetailView AsyncFormView "
    "AsyncListView AsyncLoginRequiredMixin AsyncPermissionRequiredMixin AsyncRedirectView "
    "AsyncTemplateView AsyncUpdateView AsyncUserPassesTestMixin AsyncView async_view cache_page "
    "condition etag last_modified limit_concurrency timeout",
    "django_asyncx.middleware": "AuthenticationMiddleware CommonMiddleware "
    "ConditionalGetMiddleware CsrfViewMiddleware DROP_INS GZipMiddleware HttpClientMiddleware "
    "MessageMiddleware SecurityMiddleware SessionMiddleware XFrameOptionsMiddleware async_native",
    "django_asyncx.http": "CallContext CallRecord Client ClientOptions DEFAULT Response Retry "
    "StreamResponse Timeout current_context gather get_client",
    "django_asyncx.templates": "AsyncTemplateResponse arender arender_template arender_to_string "
    "aresolve_context astream_template",
    "django_asyncx.templates.backends.jinja2": "FLUSH_MARKER FlushExtension Jinja2 Template",
    "django_asyncx.executors": "BoundedExecutor ExecutorStats Lane aget_executor "
    "ashutdown_executors blocking call_in_executor executor_stats get_executor run_in_executor "
    "shutdown_executors",
    "django_asyncx.lifespan": "Lifespan LoopResource aclose_loop_resources on_shutdown on_startup",
    "django_asyncx.hops": "AsgiResult Hop HopCounter arequest count_hops describe",
    "django_asyncx.concurrency": "discard gather",
    "django_asyncx.loops": "LoopResource aclose_loop_resources on_loop_close",
    "django_asyncx.threadpool": "BoundedExecutor ExecutorStats Lane",
    "django_asyncx.testing.client": "AsgiResult arequest",
    "django_asyncx.exceptions": " ".join(exceptions.__all__),
    "django_asyncx.watchdog": "LoopWatchdog current_request ensure_loop_watchdog threshold_ms",
    "django_asyncx.receivers": "ReceiverRun classify_receiver has_request_thread "
    "request_thread_receiver send_signal",
    "django_asyncx.handler": "ASGIHandler HopFreeASGIHandler",
    "django_asyncx.conf": "asyncx_settings",
    "django_asyncx.testing.databases": "ThrowawayDatabase database_alias throwaway_database",
    "django_asyncx.testing.servers": "LiveServer SERVERS ServerStartError free_port server_command",
    "django_asyncx.testing.services": "database_settings mariadb_url postgres_url redis_url "
    "service_unavailable services_required",
    "django_asyncx.testing.upstream": "RecordedRequest Upstream",
}


@pytest.mark.parametrize("name", sorted(IMPORTED_BY_USERS))
def test_names_users_import_still_import_from_where_the_docs_say(name):
    module = importlib.import_module(name)
    missing = [attr for attr in IMPORTED_BY_USERS[name].split() if not hasattr(module, attr)]
    assert missing == [], f"{name} no longer gives {missing}"
