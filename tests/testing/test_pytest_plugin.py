"""The pytest plugin: loaded by its entry point, disabled with ``-p no:django_asyncx``."""

from __future__ import annotations

import textwrap

import pytest

pytest_plugins = ["pytester"]

SETTINGS = """
SECRET_KEY = "plugin-test"
ALLOWED_HOSTS = ["testserver"]
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "django_asyncx"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
ROOT_URLCONF = "inner_urls"
MIDDLEWARE = ["django_asyncx.middleware.HttpClientMiddleware"]
USE_TZ = True
"""

URLS = """
from django.contrib.auth.models import Group
from django.http import HttpResponse, JsonResponse
from django.urls import path


async def groups(request):
    return HttpResponse(str(await Group.objects.acount()))


async def relay(request):
    upstream = await request.http.get("/hello")
    return JsonResponse(upstream.json())


urlpatterns = [path("groups/", groups), path("relay/", relay)]
"""

TESTS = """
import pytest
from django.contrib.auth.models import Group

pytestmark = pytest.mark.asyncio


@pytest.mark.django_db(transaction=True)
async def test_async_client(asyncx_client):
    await Group.objects.acreate(name="readers")
    response = await asyncx_client.get("/groups/")
    assert response.content == b"1"


@pytest.mark.django_db
def test_sync_client(asyncx_sync_client):
    Group.objects.create(name="writers")
    assert asyncx_sync_client.get("/groups/").content == b"1"


async def test_upstream(asyncx_client, asyncx_upstream):
    asyncx_upstream.route("/hello", json={"hello": "upstream"})
    response = await asyncx_client.get("/relay/")
    assert response.json() == {"hello": "upstream"}


@pytest.fixture
def editors(db):
    return Group.objects.create(name="editors")


@pytest.mark.django_db
async def test_the_bridge_sees_the_test_transaction(editors):
    from django_asyncx.db import run_in_db

    await run_in_db(Group.objects.create, name="authors")
    assert await run_in_db(Group.objects.count) == 2
    assert await Group.objects.acount() == 2


@pytest.mark.django_db
async def test_and_its_writes_were_rolled_back():
    from django_asyncx.db import run_in_db

    assert await run_in_db(Group.objects.count) == 0
"""


INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"


@pytest.fixture
def project(pytester):
    pytester.makepyfile(inner_settings=SETTINGS, inner_urls=URLS, test_inner=TESTS)
    pytester.makeini(f"{INI}DJANGO_SETTINGS_MODULE = inner_settings\n")
    return pytester


def run(pytester, *args):
    # A fresh process, as a user's: it reads the settings module from its own ini file.
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
        return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly", *args)


@pytest.mark.parametrize("mode", ["strict", "auto"])
def test_the_plugin_loads_by_itself_in_both_asyncio_modes(project, mode):
    result = run(project, "-o", f"asyncio_mode={mode}")
    result.assert_outcomes(passed=5)


def test_minus_p_no_disables_it(project):
    result = run(project, "-p", "no:django_asyncx")
    # The fixtures are gone, and the bridge no longer runs on the test's connection.
    result.assert_outcomes(errors=3, failed=1, passed=1)
    result.stdout.fnmatch_lines(["*fixture 'asyncx_client' not found*"])


def test_the_old_module_keeps_the_old_names_with_a_deprecation_warning(pytester):
    pytester.makepyfile(
        conftest='pytest_plugins = ["django_asyncx.testing.plugin"]\n',
        test_old=textwrap.dedent(
            """
            def test_old_name(upstream):
                assert upstream.url.startswith("http://127.0.0.1:")

            def test_new_name(asyncx_upstream):
                assert asyncx_upstream.url.startswith("http://127.0.0.1:")
            """
        ),
    )
    pytester.makeini(INI)
    result = run(pytester, "-p", "no:django", "-W", "error::DeprecationWarning")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*the 'upstream' fixture is deprecated; use 'asyncx_upstream'*"])
    result = run(pytester, "-p", "no:django")
    result.assert_outcomes(passed=2, warnings=1)
