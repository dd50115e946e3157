"""HttpClientMiddleware: request.http, propagation, no credential leaks, Server-Timing."""

import re
import threading

import pytest
from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.test import AsyncClient, override_settings

from django_asyncx.exceptions import InvalidHeader, UpstreamStatusError
from django_asyncx.middleware import HttpClientMiddleware

MIDDLEWARE = ["django_asyncx.middleware.HttpClientMiddleware"]
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


@pytest.fixture
def views(upstream):
    upstream.route("/a", text="A")
    upstream.route("/b", text="B")
    with (
        override_settings(ROOT_URLCONF="tests.support.http_views", MIDDLEWARE=MIDDLEWARE),
        upstream.override_clients("default", "other"),
    ):
        yield AsyncClient()


def with_middleware_options(**options):
    current = dict(getattr(settings, "ASYNCX", {}))
    return override_settings(ASYNCX={**current, "HTTP_MIDDLEWARE": options})


def test_the_middleware_is_async_only():
    async def get_response(request):
        return None

    middleware = HttpClientMiddleware(get_response)
    assert iscoroutinefunction(middleware)
    assert iscoroutinefunction(middleware.process_exception)
    assert HttpClientMiddleware.sync_capable is False
    assert HttpClientMiddleware.async_capable is True


async def test_request_http_fans_out_on_the_event_loop_thread(views, upstream):
    response = await views.get("/fanout/")
    assert response.status_code == 200
    body = response.json()
    assert (body["a"], body["b"]) == ("A", "B")
    assert body["thread"] == threading.get_ident()  # no hop to a worker thread
    assert upstream.request_count == 2


async def test_the_request_id_and_trace_are_propagated_to_every_call(views, upstream):
    response = await views.get(
        "/fanout/", headers={"X-Request-ID": "req-42", "traceparent": TRACEPARENT}
    )
    assert response["X-Request-ID"] == "req-42"
    sent = [r.headers for r in upstream.requests]
    assert [h["X-Request-ID"] for h in sent] == ["req-42", "req-42"]
    parents = set()
    for headers in sent:
        version, trace_id, parent, flags = headers["traceparent"].split("-")
        assert (version, trace_id, flags) == ("00", TRACE_ID, "01")
        parents.add(parent)
    assert len(parents) == 2  # one span id per call
    assert "00f067aa0ba902b7" not in parents


async def test_named_clients_used_during_the_request_propagate_too(views, upstream):
    await views.get("/named/", headers={"X-Request-ID": "req-7"})
    assert upstream.requests[0].headers["X-Request-ID"] == "req-7"


async def test_a_missing_or_unsafe_request_id_is_replaced_by_a_generated_one(views, upstream):
    await views.get("/fanout/")
    await views.get("/fanout/", headers={"X-Request-ID": "bad\r\nid value"})
    ids = [r.headers["X-Request-ID"] for r in upstream.requests]
    assert all(re.fullmatch(r"[0-9a-f]{32}", value) for value in ids)
    assert ids[0] == ids[1]
    assert ids[2] == ids[3]
    assert ids[0] != ids[2]
    trace_ids = {r.headers["traceparent"].split("-")[1] for r in upstream.requests}
    assert len(trace_ids) == 2  # each request starts its own trace


async def test_the_request_id_header_name_is_configurable(views, upstream):
    with with_middleware_options(request_id_header="X-Correlation-ID"):
        response = await views.get("/fanout/", headers={"X-Correlation-ID": "corr-1"})
    assert response["X-Correlation-ID"] == "corr-1"
    assert upstream.requests[0].headers["X-Correlation-ID"] == "corr-1"
    assert "X-Request-ID" not in upstream.requests[0].headers


async def test_cookies_and_authorization_are_never_forwarded(views, upstream):
    await views.get(
        "/fanout/",
        headers={"Authorization": "Bearer secret", "Cookie": "sessionid=abc; csrftoken=x"},
    )
    for request in upstream.requests:
        assert "Authorization" not in request.headers
        assert "Cookie" not in request.headers
        assert "secret" not in str(dict(request.headers))


async def test_server_timing_lists_each_call_when_debug_is_on(views, upstream):
    assert (await views.get("/fanout/")).get("Server-Timing") is None
    with override_settings(DEBUG=True):
        response = await views.get("/fanout/")
    metrics = response["Server-Timing"].split(", ")
    assert len(metrics) == 2
    host = f"127.0.0.1:{upstream.port}"
    for index, metric in enumerate(metrics, 1):
        match = re.fullmatch(rf'upstream-{index};desc="GET {host} 200";dur=(\d+\.\d)', metric)
        assert match, metric
        assert float(match[1]) > 0


async def test_server_timing_can_be_forced_on_or_off(views):
    with with_middleware_options(server_timing=True):
        assert (await views.get("/fanout/"))["Server-Timing"].count("upstream-") == 2
    with override_settings(DEBUG=True), with_middleware_options(server_timing=False):
        assert (await views.get("/fanout/")).get("Server-Timing") is None


async def test_failed_calls_appear_in_server_timing_as_errors(views, upstream):
    upstream.route("/down", status=500)
    with with_middleware_options(server_timing=True, error_responses=True):
        response = await views.get("/call/down/")
    assert response.status_code == 502
    assert f'desc="GET 127.0.0.1:{upstream.port} 500"' in response["Server-Timing"]


async def test_unhandled_upstream_errors_become_502_and_504_when_enabled(views, upstream):
    upstream.route("/down", status=503)
    upstream.route("/slow", text="late", delay=5)
    with with_middleware_options(error_responses=True):
        bad_gateway = await views.get("/call/down/")
        timeout = await views.get("/call/slow/")
    assert bad_gateway.status_code == 502
    assert bad_gateway.content == b"An upstream service failed.\n"
    assert timeout.status_code == 504
    assert timeout.content == b"An upstream service timed out.\n"


async def test_without_error_responses_the_upstream_error_propagates(views, upstream):
    upstream.route("/down", status=500)
    with pytest.raises(UpstreamStatusError):
        await views.get("/call/down/")


def test_an_unknown_client_fails_when_the_middleware_loads():
    from django_asyncx.exceptions import ConfigurationError

    async def get_response(request):
        return None

    with (
        with_middleware_options(client="nope"),
        pytest.raises(ConfigurationError, match=r'.nope.*ASYNCX\["HTTP_CLIENTS"\]'),
    ):
        HttpClientMiddleware(get_response)


async def test_a_header_injection_becomes_a_502_naming_no_value(views, upstream):
    with with_middleware_options(error_responses=True):
        response = await views.get("/note/", {"note": "x\r\nX-Injected: 1"})
    assert response.status_code == 502
    assert response.content == b"An upstream service failed.\n"
    assert upstream.request_count == 0


async def test_a_header_injection_without_error_responses_raises_invalid_header(views, upstream):
    with pytest.raises(InvalidHeader, match="X-Note"):
        await views.get("/note/", {"note": "x\nX-Injected: 1"})
    assert upstream.request_count == 0


async def test_tracestate_is_truncated_to_512_characters_by_whole_members(views, upstream):
    members = [f"vendor{i}=" + "v" * 190 for i in range(40)]  # 8,000 characters or so
    tracestate = ",".join(members)
    await views.get("/fanout/", headers={"traceparent": TRACEPARENT, "tracestate": tracestate})
    for request in upstream.requests:
        sent = request.headers["tracestate"]
        assert len(sent) <= 512
        assert sent == ",".join(members[:2])  # whole members, from the left


async def test_tracestate_keeps_32_members_then_drops_long_ones_first(views, upstream):
    long_member = "big=" + "x" * 200
    members = [f"k{i:02d}=" + "v" * 10 for i in range(40)]
    tracestate = ",".join([members[0], long_member, *members[1:]])
    await views.get("/fanout/", headers={"traceparent": TRACEPARENT, "tracestate": tracestate})
    # 32 members kept (the long one among them) are 669 characters: the one over 128
    # characters goes first, which is enough.
    assert upstream.requests[0].headers["tracestate"] == ",".join(members[:31])


async def test_a_short_tracestate_is_forwarded_without_empty_members(views, upstream):
    await views.get("/fanout/", headers={"traceparent": TRACEPARENT, "tracestate": "a=1, ,b=2 ,"})
    assert upstream.requests[0].headers["tracestate"] == "a=1,b=2"
