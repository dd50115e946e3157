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
    assert hops == {
        "django.middleware.security.SecurityMiddleware": 2,
        "django.contrib.sessions.middleware.SessionMiddleware": 2,
        "django.middleware.common.CommonMiddleware": 2,
        "django.middleware.csrf.CsrfViewMiddleware": 3,
        "django.contrib.auth.middleware.AuthenticationMiddleware": 1,
        "django.contrib.messages.middleware.MessageMiddleware": 2,
        "django.middleware.clickjacking.XFrameOptionsMiddleware": 1,
    }
    # request_finished's DB receivers run in the request's thread, which the middleware made.
    assert audit.hops_per_request == 14
    assert audit.probe_status == 200
    fixes = {f.name: f.fix for f in audit.of("middleware")}
    assert fixes["django.middleware.csrf.CsrfViewMiddleware"] == (
        "replace with django_asyncx.middleware.CsrfViewMiddleware"
    )


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
    assert data["hops_per_request"] == 14
    with pytest.raises(
        CommandError, match=r"costs 14 thread hop\(s\), more than --fail-on-hops 0"
    ) as exc:
        call_command("asyncx_audit", "--fail-on-hops", "0", stdout=StringIO())
    assert exc.value.returncode == 1
    call_command("asyncx_audit", "--fail-on-hops", "14", stdout=StringIO())
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
