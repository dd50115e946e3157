"""``manage.py asyncx_audit``: measured hops, findings and fixes, JSON, and the CI exit code."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from django_asyncx.audit import run_audit
from django_asyncx.middleware import async_native

DJANGO = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
SETTINGS = override_settings(ROOT_URLCONF="tests.support.views_app.decorated_urls")


@SETTINGS
@override_settings(MIDDLEWARE=DJANGO)
def test_django_middleware_costs_are_measured_per_middleware():
    audit = run_audit()
    hops = {f.name: f.hops for f in audit.of("middleware")}
    # The seven run in sync mode, one after the other: one hop for the run (counted on the
    # first), one for CSRF's process_view.
    assert hops == {
        "django.middleware.security.SecurityMiddleware": 1,
        "django.contrib.sessions.middleware.SessionMiddleware": 0,
        "django.middleware.common.CommonMiddleware": 0,
        "django.middleware.csrf.CsrfViewMiddleware": 1,
        "django.contrib.auth.middleware.AuthenticationMiddleware": 0,
        "django.contrib.messages.middleware.MessageMiddleware": 0,
        "django.middleware.clickjacking.XFrameOptionsMiddleware": 0,
    }
    # request_finished's DB receivers run in the request's thread, which the middleware made.
    assert audit.hops_per_request == 3
    assert audit.probe_status == 200
    kinds = {f.detail.split(";")[0] for f in audit.of("middleware")}
    assert kinds == {"MiddlewareMixin: its hooks run in a thread"}
    first = audit.of("middleware")[0].detail
    assert first.endswith("(first of a run of 7 sync middleware sharing one hop)")
    fixes = {f.name: f.fix for f in audit.of("middleware")}
    assert fixes["django.middleware.csrf.CsrfViewMiddleware"] == (
        "replace with django_asyncx.middleware.CsrfViewMiddleware (no hop)"
    )


@SETTINGS
@override_settings(
    MIDDLEWARE=[
        *async_native(DJANGO),
        "tests.support.chain_app.middleware.Stock",
        "tests.support.chain_app.middleware.OldStyle",
        "tests.support.chain_app.middleware.SafeBySetting",
    ],
    ASYNCX={"LOOP_SAFE_MIDDLEWARE": ["tests.support.chain_app.middleware.SafeBySetting"]},
)
def test_a_run_of_third_party_sync_middleware_shares_one_hop_and_says_which_fix_applies():
    audit = run_audit()
    found = {f.name.rpartition(".")[2]: f for f in audit.of("middleware")}
    assert found["Stock"].hops == 1
    assert found["OldStyle"].hops == 0
    assert found["Stock"].detail == (
        "MiddlewareMixin: its hooks run in a thread; 1 thread hop(s) per request "
        "(first of a run of 2 sync middleware sharing one hop)"
    )
    assert found["Stock"].fix.startswith(
        'if its hooks do no blocking I/O, list it in ASYNCX["LOOP_SAFE_MIDDLEWARE"] (no hop); '
        "else it shares one hop with tests.support.chain_app.middleware.OldStyle"
    )
    assert found["OldStyle"].detail.startswith("sync-only;")
    assert found["OldStyle"].fix.startswith("make it async-capable")
    assert found["SafeBySetting"].detail == (
        "MiddlewareMixin declared loop-safe: its hooks run on the loop; 0 thread hop(s) per request"
    )
    assert found["SafeBySetting"].fix == ""
    assert {f.hops for name, f in found.items() if name not in ("Stock", "OldStyle")} == {0}


@SETTINGS
@override_settings(MIDDLEWARE=async_native(DJANGO))
def test_the_drop_ins_cost_zero_hops():
    audit = run_audit()
    assert audit.hops_per_request == 0
    assert {f.hops for f in audit.of("middleware")} == {0}
    assert audit.of("handler")[0].hops == 0


@SETTINGS
@override_settings(MIDDLEWARE=async_native(DJANGO), ALLOWED_HOSTS=["app.example.org"])
def test_the_probe_request_uses_a_host_the_project_allows():
    # Projects that do not allow "testserver" are measured too, not answered 400.
    audit = run_audit()
    assert audit.probe_status == 200
    assert audit.hops_per_request == 0


@SETTINGS
@override_settings(MIDDLEWARE=async_native(DJANGO), ALLOWED_HOSTS=[], DEBUG=True)
def test_the_probe_request_is_accepted_with_startprojects_debug_settings():
    # DEBUG with no ALLOWED_HOSTS accepts localhost only, even where "testserver" is allowed.
    audit = run_audit()
    assert audit.probe_status == 200


@SETTINGS
@override_settings(MIDDLEWARE=["tests.support.views_app.sync_middleware.OldStyle"])
def test_a_sync_only_middleware_is_reported_with_its_fix():
    audit = run_audit()
    [finding] = audit.of("middleware")
    assert finding.hops >= 1
    assert finding.fix.startswith("make it async-capable")


@SETTINGS
def test_urls_are_classified_async_or_sync():
    audit = run_audit()
    urls = {f.name: f for f in audit.of("url")}
    assert urls["plain/"].detail == "tests.support.views_app.decorated.plain: async"
    assert urls["plain-sync-orm/"].detail.endswith(": sync")
    assert "async_view" in urls["plain-sync-orm/"].fix
    # Decorated sync views are async once wrapped.
    assert urls["sync-orm/"].detail.endswith(": async")


@SETTINGS
@override_settings(
    CACHES={
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "files": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": "/tmp/asyncx-audit-cache",
        },
    }
)
def test_caches_and_signal_receivers_are_reported():
    audit = run_audit()
    caches = {f.name: f for f in audit.of("cache")}
    assert "no I/O" in caches["default"].detail
    assert "RedisCache" in caches["files"].fix
    receivers = {f.name: f for f in audit.of("signal")}
    assert (
        "handled without a hop"
        in receivers["request_started: django.db.close_old_connections"].detail
    )


@SETTINGS
@override_settings(MIDDLEWARE=DJANGO)
def test_command_prints_json_and_fails_over_the_hop_budget():
    out = StringIO()
    call_command("asyncx_audit", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["hops_per_request"] == 3
    # The URLconf has sync views: the costliest request adds the view's own 2 hops.
    assert data["worst_request"] == {"hops": 5, "url": "plain-sync-orm/"}
    with pytest.raises(
        CommandError,
        match=r"a request to plain-sync-orm/ costs 5 thread hop\(s\) \(3 through the "
        r"middleware and handler, 2 for its view\), more than --fail-on-hops 4",
    ) as exc:
        call_command("asyncx_audit", "--fail-on-hops", "4", stdout=StringIO())
    assert exc.value.returncode == 1
    call_command("asyncx_audit", "--fail-on-hops", "5", stdout=StringIO())
    with pytest.raises(CommandError, match=r"--fail-on-hops takes a number of hops >= 0, got 'x'"):
        call_command("asyncx_audit", "--fail-on-hops", "x", stdout=StringIO())


@SETTINGS
@override_settings(MIDDLEWARE=async_native(DJANGO))
def test_command_text_output_names_the_total():
    out = StringIO()
    call_command("asyncx_audit", stdout=out, no_color=True)
    text = out.getvalue()
    assert "Middleware (thread hops per request, measured)" in text
    assert "Thread hops per request through the middleware and handler: 0" in text


PROJECT = "tests.support.audit_project"


@SETTINGS
@override_settings(MIDDLEWARE=async_native(DJANGO))
def test_a_project_still_on_djangos_asgi_handler_is_measured_through_it():
    # The drop-ins cost nothing, but Django's own handler still hops: the audit says so.
    audit = run_audit(asgi=f"{PROJECT}.asgi_stock:application")
    assert not audit.application_is_asyncx
    [asgi] = audit.of("asgi")
    assert asgi.detail == (
        "not django_asyncx's: django.core.handlers.asgi.ASGIHandler; measured as served"
    )
    assert "django_asyncx.asgi import get_asgi_application" in asgi.fix
    assert audit.probe_status == 200
    assert audit.hops_per_request > 0
    assert audit.of("handler")[0].hops == audit.hops_per_request
    # Its sync signal receivers run in a thread: none is reported as hop-free.
    assert audit.of("signal")
    assert not [f for f in audit.of("signal") if "without a hop" in f.detail]
    ours = run_audit(asgi="config.asgi:application")
    assert ours.application_is_asyncx
    assert ours.hops_per_request == 0


@SETTINGS
@override_settings(MIDDLEWARE=async_native(DJANGO), ASGI_APPLICATION="config.asgi.application")
def test_the_application_comes_from_asgi_application():
    audit = run_audit()
    assert (audit.application, audit.application_is_asyncx) == ("config.asgi.application", True)


@SETTINGS
@override_settings(MIDDLEWARE=async_native(DJANGO))
def test_channels_router_in_front_is_seen_through():
    audit = run_audit(asgi=f"{PROJECT}.asgi_channels")
    assert audit.application_is_asyncx
    assert audit.hops_per_request == 0


@SETTINGS
@override_settings(
    MIDDLEWARE=[*async_native(DJANGO), "tests.support.views_app.sync_middleware.OldStyle"],
    WSGI_APPLICATION=f"{PROJECT}.wsgi.application",
)
def test_each_middleware_says_whether_it_is_async_capable():
    # No ASGI_APPLICATION: the asgi.py beside WSGI_APPLICATION is the one measured.
    audit = run_audit()
    assert audit.application == f"{PROJECT}.asgi.application"
    details = {f.name: f.detail.split(";")[0] for f in audit.of("middleware")}
    assert set(details.values()) == {"async-native", "sync-only"}
    assert [name for name, kind in details.items() if kind == "sync-only"] == [
        "tests.support.views_app.sync_middleware.OldStyle"
    ]
    # The sync-only middleware costs hops at its border with the async ones.
    assert audit.hops_per_request > 0


def _audit_project(*args, **env):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    environ = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": f"{PROJECT}.settings",
        "PYTHONPATH": os.pathsep.join([str(root), str(root / "example_project")]),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "django", "asyncx_audit", *args],
        capture_output=True,
        text=True,
        cwd=root,
        env=environ,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("stock", [False, True])
def test_a_project_with_the_admin_gets_one_line_for_it_and_its_own_sync_views_count(stock):
    env = {"AUDIT_STOCK": "1"} if stock else {}
    result = _audit_project("--json", **env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["application"] == f"{PROJECT}.asgi.application"
    assert data["application_is_asyncx"] is not stock
    findings = {(f["kind"], f["name"]): f for f in data["findings"]}
    [admin] = [f for f in data["findings"] if f["kind"] == "third-party"]
    assert admin["name"] == "admin/ (django.contrib.admin)"
    assert "not counted by --fail-on-hops" in admin["detail"]
    assert not [name for kind, name in findings if kind == "url" and name.startswith("admin/")]
    assert findings["url", "report/"]["hops"] == 2
    assert findings["url", "/"]["detail"].endswith(": async")
    assert data["worst_request"] == {"hops": data["hops_per_request"] + 2, "url": "report/"}
    assert (data["hops_per_request"] == 0) is not stock

    failed = _audit_project("--fail-on-hops", "0", **env)
    assert failed.returncode == 1
    assert "a request to report/ costs" in failed.stderr


def test_a_third_party_sync_middleware_fails_the_budget_with_its_fix():
    result = _audit_project("--fail-on-hops", "2", AUDIT_SYNC_MIDDLEWARE="1", no_color="1")
    assert result.returncode == 1
    assert "tests.support.views_app.sync_middleware.OldStyle: sync-only;" in result.stdout
    assert "make it async-capable" in result.stdout


def test_an_asgi_path_that_does_not_load_is_a_clear_error():
    result = _audit_project("--asgi", "nowhere.asgi:application")
    assert result.returncode == 1
    assert "--asgi 'nowhere.asgi:application' cannot be loaded: No module named 'nowhere'" in (
        result.stderr
    )
