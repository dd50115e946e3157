"""Sync middleware in an async chain: one thread hop per contiguous run, or none.

The same requests go through Django's ASGI handler and django_asyncx's with a chain of every
kind of middleware (async-capable, ``MiddlewareMixin``, sync-only, loop-safe by decorator
and by setting); status, body, headers and the order the hooks ran in must be equal, and
django_asyncx's hops are counted.
"""

import pytest
from django.core.handlers.asgi import ASGIHandler as DjangoASGIHandler
from django.test import override_settings
from django.utils.deprecation import MiddlewareMixin

from django_asyncx.asgi import ASGIHandler
from django_asyncx.hops import arequest, count_hops
from django_asyncx.middleware.chain import loop_safe, middleware_mode
from tests.support.chain_app import middleware as mw

M = "tests.support.chain_app.middleware."
CHAIN = [
    f"{M}Outer",
    f"{M}Stock",
    f"{M}OldStyle",
    f"{M}Middle",
    f"{M}Hooks",
    f"{M}SecondView",
    f"{M}Safe",
    f"{M}SafeBySetting",
]
CHAIN_SETTINGS = override_settings(
    ROOT_URLCONF="tests.support.chain_app.urls",
    MIDDLEWARE=CHAIN,
    ASYNCX={"LOOP_SAFE_MIDDLEWARE": [f"{M}SafeBySetting"]},
)
PATHS = [
    "/chain/plain/",
    "/chain/sync/",
    "/chain/plain/?by-view-hook=1",
    "/chain/stock-refuses/",
    "/chain/stock-raises/",
    "/chain/old-short/",
    "/chain/lookup/",
    "/chain/value/",
    "/chain/template/",
    "/chain/missing/",
]


def trail(result):
    return (result.header("x-trail") or "").split()


def without_threads(result):
    """Status, body, headers and the hooks in order, without where each ran."""
    steps = [step.rsplit(":", 1)[0] for step in trail(result)]
    headers = sorted((k, v) for k, v in result.headers if k != "x-trail")
    return result.status, result.body, headers, steps


@CHAIN_SETTINGS
@pytest.mark.parametrize("path", PATHS)
async def test_the_chain_answers_as_djangos_with_the_hooks_in_the_same_order(path):
    theirs = await arequest(DjangoASGIHandler(), "GET", path)
    ours = await arequest(ASGIHandler(), "GET", path)
    assert without_threads(ours) == without_threads(theirs)


@CHAIN_SETTINGS
async def test_each_run_of_sync_middleware_costs_one_hop_and_loop_safe_ones_none():
    app = ASGIHandler()
    with count_hops() as hops:
        result = await arequest(app, "GET", "/chain/plain/")
    assert result.status == 200
    assert trail(result) == [
        "outer:request:loop",
        "stock:request:t0",  # run 1: Stock and OldStyle, one hop
        "old:request:t0",
        "middle:request:loop",
        "hooks:request:t0",  # run 2: Hooks and SecondView, one hop
        "safe:request:loop",
        "setting:request:loop",
        "hooks:view:t0",  # the two sync process_view hooks, one hop
        "second:view:t0",
        "safe:view:loop",
        "view:async:loop",
        "setting:response:loop",
        "safe:response:loop",
        "hooks:response:t0",  # back up within the hop that took the request down
        "old:response:t0",
        "stock:response:t0",
        "outer:response:loop",
    ]
    # The two runs, the process_view run, and request_finished in the request's thread.
    names = [hop.name for hop in hops.hops]
    assert names.count("Stock.__call__") == 1
    assert names.count("Hooks.__call__") == 1
    assert hops.count == 4, hops.by_owner()
    with count_hops() as theirs:
        await arequest(DjangoASGIHandler(), "GET", "/chain/plain/")
    assert theirs.count >= 12, theirs.by_owner()


@CHAIN_SETTINGS
async def test_a_sync_view_runs_in_the_thread_of_the_run_that_called_it():
    result = await arequest(ASGIHandler(), "GET", "/chain/sync/")
    assert "view:sync:t0" in trail(result)
    assert result.body == b"sync False"


@CHAIN_SETTINGS
async def test_exception_and_template_hooks_run_as_in_django():
    result = await arequest(ASGIHandler(), "GET", "/chain/lookup/")
    assert (result.status, result.body) == (418, b"handled missing thing")
    result = await arequest(ASGIHandler(), "GET", "/chain/template/")
    assert result.body.strip() == b"extra=from the hook"
    assert "hooks:template:t0" in trail(result)


def test_middleware_modes():
    declared = {f"{M}SafeBySetting"}
    assert middleware_mode(mw.Stock, f"{M}Stock", declared) == "sync"
    assert middleware_mode(mw.OldStyle, f"{M}OldStyle", declared) == "sync"
    assert middleware_mode(mw.Outer, f"{M}Outer", declared) == "async"
    assert middleware_mode(mw.Safe, f"{M}Safe", declared) == "loop"
    assert middleware_mode(mw.SafeBySetting, f"{M}SafeBySetting", declared) == "loop"
    assert middleware_mode(mw.SafeBySetting, f"{M}SafeBySetting", set()) == "sync"


def test_loop_safe_refuses_what_is_not_a_middleware_mixin():
    with pytest.raises(TypeError, match="takes a MiddlewareMixin subclass, got <class"):
        loop_safe(mw.OldStyle)
    assert loop_safe(type("Fine", (MiddlewareMixin,), {})).asyncx_loop_safe is True
