"""The HTTP client: per-loop sessions, calls, bodies, timeouts, retries, fan-out."""

import asyncio
import gc
import socket
import threading
import warnings

import pytest
from aiohttp import web

from django_asyncx.exceptions import (
    BlockedDestination,
    ConfigurationError,
    InvalidHeader,
    ResponseTooLarge,
    UpstreamConnectionError,
    UpstreamStatusError,
    UpstreamTimeout,
)
from django_asyncx.http import Retry, get_client
from django_asyncx.lifespan import Lifespan


@pytest.fixture
def client(upstream):
    with upstream.override_clients("default"):
        yield get_client()


async def test_get_returns_status_headers_and_the_whole_body(upstream, client):
    upstream.route("/users/1", json={"name": "Ada"}, headers={"X-Seen": "yes"})
    response = await client.get("/users/1")
    assert response.status == 200
    assert response.headers["X-Seen"] == "yes"
    assert response.json() == {"name": "Ada"}
    assert response.text() == '{"name": "Ada"}'
    assert response.url == upstream.url_for("/users/1")


async def test_one_tcp_connection_is_reused_across_calls(upstream, client):
    upstream.route("/ping", text="pong")
    for _ in range(5):
        assert (await client.get("/ping")).text() == "pong"
    assert upstream.request_count == 5
    assert upstream.connection_count == 1


async def test_relative_urls_extend_the_base_url_path(upstream):
    upstream.route("/api/v2/items", json=[1, 2])
    with upstream.override_clients("default", base_url=upstream.url_for("/api/v2/")):
        client = get_client()
        assert (await client.get("items")).json() == [1, 2]
        assert (await client.get("/items", params={"page": "2"})).json() == [1, 2]
    assert upstream.requests[1].query == {"page": "2"}


async def test_absolute_urls_bypass_the_base_url(upstream, client):
    upstream.route("/x", text="x")
    assert (await client.get(upstream.url_for("/x"))).text() == "x"


async def test_a_relative_url_without_base_url_is_a_value_error_naming_the_client():
    with pytest.raises(ValueError, match="'default' has no base_url"):
        await get_client().get("/nowhere")


def test_an_unknown_client_name_is_a_configuration_error_listing_the_configured_ones():
    with pytest.raises(ConfigurationError, match=r"'nope'.*configured: 'default'"):
        get_client("nope")


async def test_cookies_set_by_an_upstream_are_not_sent_on_later_calls(upstream, client):
    upstream.route("/login", text="ok", headers={"Set-Cookie": "session=abc; Path=/"})
    upstream.route("/me", text="me")
    await client.get("/login")
    await client.get("/me")
    assert "Cookie" not in upstream.requests[1].headers


# ---------------------------------------------------------------- per-loop sessions


def _session_in_new_loop(upstream, results, index):
    async def main():
        client = get_client()
        session = await client.session()
        for _ in range(3):
            await client.get("/ping")
        results[index] = session

    asyncio.run(main())


def test_each_event_loop_gets_its_own_session_closed_when_its_loop_ends(upstream):
    upstream.route("/ping", text="pong")
    results = [None, None]
    with upstream.override_clients("default"):
        threads = [
            threading.Thread(target=_session_in_new_loop, args=(upstream, results, i))
            for i in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # A third loop, after the others closed: no "Event loop is closed".
        _session_in_new_loop(upstream, results, 0)
    first, second = results
    assert first is not second
    assert first.closed
    assert second.closed
    assert upstream.request_count == 9
    assert upstream.connection_count == 3  # one connection per loop, reused within it


async def test_the_same_loop_reuses_one_session_per_client(upstream):
    with upstream.override_clients("default", "other"):
        assert await get_client().session() is await get_client().session()
        assert await get_client().session() is not await get_client("other").session()


async def test_lifespan_shutdown_closes_the_sessions_and_the_next_call_opens_a_new_one(
    upstream, client
):
    upstream.route("/ping", text="pong")
    lifespan = Lifespan()
    await lifespan.startup()
    await client.get("/ping")
    session = await client.session()
    assert await lifespan.shutdown() == []
    assert session.closed
    await client.get("/ping")
    assert await client.session() is not session
    assert upstream.connection_count == 2


# ---------------------------------------------------------------- bodies


async def test_an_error_status_raises_with_the_status_and_a_truncated_body(upstream, client):
    upstream.route("/boom", status=500, text="x" * 5000)
    with pytest.raises(UpstreamStatusError) as info:
        await client.get("/boom")
    assert info.value.status == 500
    assert info.value.body == b"x" * 1024
    assert info.value.url == upstream.url_for("/boom")
    assert "GET /boom" in str(info.value).replace(upstream.url, "")
    assert "500" in str(info.value)


async def test_raise_for_status_false_returns_the_error_response(upstream, client):
    upstream.route("/missing", status=404, text="nope")
    response = await client.get("/missing", raise_for_status=False)
    assert (response.status, response.text(), response.ok) == (404, "nope", False)


async def test_a_body_over_max_body_size_raises_by_content_length_and_by_counting(upstream, client):
    upstream.route("/big", body=b"a" * 2000)

    async def chunked(request):
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(20):
            await response.write(b"b" * 100)
        await response.write_eof()
        return response

    upstream.route("/chunked", chunked)
    for path in ("/big", "/chunked"):
        with pytest.raises(ResponseTooLarge, match="max_body_size=1000") as info:
            await client.get(path, max_body_size=1000)
        assert info.value.limit == 1000
    assert len((await client.get("/chunked", max_body_size=2000)).content) == 2000


async def test_streaming_reads_a_large_body_in_chunks(upstream, client):
    upstream.route("/large", body=bytes(range(256)) * 8192)  # 2 MiB
    sizes = []
    async with client.stream("GET", "/large") as response:
        assert response.status == 200
        async for chunk in response.iter_bytes(64 * 1024):
            sizes.append(len(chunk))
    assert sum(sizes) == 256 * 8192
    assert max(sizes) <= 64 * 1024
    with pytest.raises(ResponseTooLarge):
        async with client.stream("GET", "/large", max_body_size=100_000) as response:
            await response.aread()


async def test_a_stream_left_early_releases_its_connection(upstream, client):
    upstream.route("/large", body=b"z" * 1_000_000)
    upstream.route("/ping", text="pong")
    async with client.stream("GET", "/large") as response:
        async for _ in response.iter_bytes(1000):
            break
    session = await client.session()
    assert session.connector is not None
    # The half-read connection was closed, not returned to the pool.
    await client.get("/ping")
    assert upstream.connection_count == 2


# ---------------------------------------------------------------- timeouts


async def test_read_timeout(upstream, client):
    upstream.route("/slow", text="late", delay=5)
    with pytest.raises(UpstreamTimeout) as info:
        await client.get("/slow", timeout={"read": 0.2}, retries=0)
    assert info.value.phase == "read"
    assert isinstance(info.value, TimeoutError)


async def test_total_timeout_bounds_the_call_retries_included(upstream, client):
    upstream.route("/slow", text="late", delay=5)
    with pytest.raises(UpstreamTimeout) as info:
        await client.get("/slow", timeout={"total": 1, "read": 0.2}, retries=10)
    assert info.value.phase in ("read", "total")
    # Read timeouts are retried while the deadline allows: at least once, and no attempt
    # starts after the deadline (each takes >= 0.2 s, so at most 5 fit in 1 s).
    assert 2 <= upstream.request_count <= 5
    with pytest.raises(UpstreamTimeout) as info:
        await client.get("/slow", timeout=0.3, retries=5)
    assert info.value.phase == "total"


def _unanswering_listener():
    """A listening socket whose accept queue is full: new connects never complete."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(listener.getsockname())
        fillers.append(filler)
    return listener, fillers


async def test_connect_timeout(upstream):
    listener, fillers = _unanswering_listener()
    port = listener.getsockname()[1]
    try:
        with (
            upstream.override_clients("default", base_url=f"http://127.0.0.1:{port}"),
            pytest.raises(UpstreamTimeout) as info,
        ):
            await get_client().get("/", timeout={"connect": 0.2, "total": 5}, retries=0)
        assert info.value.phase == "connect"
    finally:
        for sock in (listener, *fillers):
            sock.close()


async def test_connection_refused_is_an_upstream_connection_error(upstream):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    with (
        upstream.override_clients("default", base_url=f"http://127.0.0.1:{port}"),
        pytest.raises(UpstreamConnectionError) as info,
    ):
        await get_client().get("/", retries=0)
    assert isinstance(info.value, ConnectionError)


# ---------------------------------------------------------------- retries


def _failing(times, status=503, headers=None):
    """A handler answering ``status`` for the first ``times`` requests, then 200."""
    calls = []

    async def handler(request):
        calls.append(1)
        if len(calls) <= times:
            return web.Response(status=status, text="busy", headers=headers)
        return web.Response(text="ok")

    return handler


async def test_idempotent_calls_are_retried_on_503_until_they_succeed(upstream, client):
    upstream.route("/flaky", _failing(2))
    response = await client.get("/flaky", retries=Retry(max_retries=2, backoff=0.01))
    assert response.text() == "ok"
    assert upstream.request_count == 3
    assert upstream.connection_count == 1  # the 503s were read and their connection reused


async def test_retries_stop_after_max_retries_with_the_last_status(upstream, client):
    upstream.route("/down", status=502, text="bad gateway")
    with pytest.raises(UpstreamStatusError) as info:
        await client.get("/down", retries={"max_retries": 3, "backoff": 0.01})
    assert info.value.status == 502
    assert upstream.request_count == 4


async def test_post_is_never_retried_unless_marked_idempotent(upstream, client):
    upstream.route("/orders", _failing(1))
    with pytest.raises(UpstreamStatusError):
        await client.post("/orders", json={"n": 1}, retries={"backoff": 0.01})
    assert upstream.request_count == 1
    response = await client.post("/orders", json={"n": 1}, idempotent=True)
    assert response.text() == "ok"
    assert upstream.request_count == 2


async def test_connection_errors_are_retried(upstream, client):
    calls = []

    async def drop_twice(request):
        calls.append(1)
        if len(calls) <= 2:
            request.transport.close()  # the client sees the server disconnect
        return web.Response(text="ok")

    upstream.route("/drop", drop_twice)
    assert (await client.get("/drop", retries={"backoff": 0.01})).text() == "ok"
    assert len(calls) == 3


async def test_retry_after_is_honoured(upstream, client):
    upstream.route("/limited", _failing(1, status=429, headers={"Retry-After": "1"}))
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert (await client.get("/limited", retries={"backoff": 0.01})).text() == "ok"
    assert loop.time() - started >= 0.95  # asyncio.sleep(1) never wakes early
    assert upstream.request_count == 2


async def test_no_retry_when_retry_after_passes_the_deadline_or_the_cap(upstream, client):
    upstream.route("/later", status=503, headers={"Retry-After": "3"})
    with pytest.raises(UpstreamStatusError):
        await client.get("/later", timeout=2)
    assert upstream.request_count == 1
    with pytest.raises(UpstreamStatusError):
        await client.get("/later", timeout=None, retries={"retry_after_max": 2})
    assert upstream.request_count == 2


async def test_no_retry_when_the_backoff_would_pass_the_deadline(upstream, client):
    upstream.route("/down", status=503)
    with pytest.raises(UpstreamStatusError):
        await client.get("/down", timeout=1, retries={"backoff": 5, "max_backoff": 10})
    assert upstream.request_count == 1


# ---------------------------------------------------------------- fan-out


async def test_gather_returns_results_in_order_and_bounds_concurrency(upstream, client):
    in_flight = [0, 0]  # now, peak

    async def tracked(request):
        in_flight[0] += 1
        in_flight[1] = max(in_flight[1], in_flight[0])
        await asyncio.sleep(0.05)
        in_flight[0] -= 1
        return web.Response(text=request.query["i"])

    upstream.route("/item", tracked)
    calls = [client.get("/item", params={"i": str(i)}) for i in range(12)]
    with pytest.deprecated_call(match="use django_asyncx.concurrency.gather"):
        responses = await client.gather(*calls, limit=3)
    assert [r.text() for r in responses] == [str(i) for i in range(12)]
    assert in_flight[1] == 3
    assert upstream.request_count == 12


async def test_gather_raises_the_first_error_and_cancels_the_rest(upstream, client):
    upstream.route("/slow", text="late", delay=5)
    upstream.route("/fail", status=500)
    calls = [client.get("/slow"), client.get("/fail"), client.get("/slow"), client.get("/slow")]
    with pytest.deprecated_call(), pytest.raises(UpstreamStatusError):
        await client.gather(*calls, limit=2)
    # The failure frees a slot, so the third call may start before the cancellation; the
    # fourth never starts, and is closed without a "never awaited" warning.
    assert 2 <= upstream.request_count <= 3


async def test_gather_return_exceptions(upstream, client):
    upstream.route("/ok", text="ok")
    upstream.route("/fail", status=500)
    with pytest.deprecated_call():
        ok, failed = await client.gather(
            client.get("/ok"), client.get("/fail"), return_exceptions=True
        )
    assert ok.text() == "ok"
    assert isinstance(failed, UpstreamStatusError)


async def test_gather_rejects_a_bad_limit_and_closes_the_calls(client):
    with (
        pytest.deprecated_call(),
        pytest.raises(ValueError, match=r"limit=\.\.\.\) takes None or a positive int, got 0"),
    ):
        await client.gather(client.get("http://example.invalid/"), limit=0)


async def test_asgi_lifespan_shutdown_closes_the_sessions(upstream, client):
    from django_asyncx.asgi import AsyncxApplication

    upstream.route("/ping", text="pong")
    app = AsyncxApplication(http=None)
    inbox: asyncio.Queue = asyncio.Queue()
    sent = []
    answered = asyncio.Event()

    async def send(message):
        sent.append(message["type"])
        answered.set()

    await inbox.put({"type": "lifespan.startup"})
    serving = asyncio.create_task(app({"type": "lifespan"}, inbox.get, send))
    await answered.wait()
    await client.get("/ping")
    session = await client.session()
    await inbox.put({"type": "lifespan.shutdown"})
    await serving
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert session.closed


def test_asyncio_run_ends_with_sessions_closed_and_no_unclosed_warning(upstream):
    upstream.route("/ping", text="pong")
    sessions = []

    async def main():
        await get_client().get("/ping")
        sessions.append(await get_client().session())

    with upstream.override_clients("default"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.run(main())
        asyncio.run(main())  # a new loop, a new session: no "Event loop is closed"
        gc.collect()
    assert [s.closed for s in sessions] == [True, True]
    assert sessions[0] is not sessions[1]
    assert [str(w.message) for w in caught] == []


def test_async_to_sync_loops_close_their_sessions_too(upstream):
    """``runserver`` (WSGI) runs each async view in a loop asgiref makes: no leak, no error."""
    from asgiref.sync import async_to_sync

    upstream.route("/ping", text="pong")
    sessions = []

    async def view():
        await get_client().get("/ping")
        sessions.append(await get_client().session())

    with upstream.override_clients("default"):
        async_to_sync(view)()
        async_to_sync(view)()
    assert upstream.request_count == 2
    assert [s.closed for s in sessions] == [True, True]


async def test_client_headers_call_headers_and_json_bodies_are_sent(upstream):
    upstream.route("/echo", text="ok", methods=("POST",))
    with upstream.override_clients("default", headers={"User-Agent": "shop/1.0", "X-A": "1"}):
        await get_client().post("/echo", json={"n": 1}, headers={"X-A": "2", "X-B": "3"})
    sent = upstream.requests[0]
    assert (sent.headers["User-Agent"], sent.headers["X-A"], sent.headers["X-B"]) == (
        "shop/1.0",
        "2",
        "3",
    )
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.body == b'{"n": 1}'


async def test_text_uses_the_charset_of_the_response(upstream, client):
    async def latin1(request):
        return web.Response(
            body="café".encode("latin-1"), content_type="text/plain", charset="latin-1"
        )

    upstream.route("/latin1", latin1)
    response = await client.get("/latin1")
    assert response.text() == "café"
    assert response.read() == "café".encode("latin-1")
    assert response.ok


async def test_a_timeout_object_per_call(upstream, client):
    from django_asyncx.http import Timeout

    upstream.route("/slow", text="late", delay=5)
    with pytest.raises(UpstreamTimeout) as info:
        await client.get("/slow", timeout=Timeout(total=None, connect=1, read=0.2), retries=0)
    assert info.value.phase == "read"


def _reset_connection_route(upstream, path):
    async def reset(request):
        # Close the TCP connection without an answer: the client sees a disconnect.
        request.transport.close()
        return web.Response()

    upstream.route(path, reset)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@pytest.mark.parametrize("max_retries", [0, 2])
async def test_the_upstream_sees_exactly_one_plus_max_retries_attempts(
    upstream, client, method, max_retries
):
    _reset_connection_route(upstream, "/reset")
    policy = Retry(max_retries=max_retries, backoff=0.01, max_backoff=0.01)
    with pytest.raises(UpstreamConnectionError):
        await client.request(method, "/reset", retries=policy)
    assert upstream.request_count == 1 + max_retries
    assert upstream.connection_count == 1 + max_retries


async def test_retries_zero_in_the_client_settings_means_one_attempt(upstream):
    _reset_connection_route(upstream, "/reset")
    with upstream.override_clients("default", retries=0), pytest.raises(UpstreamConnectionError):
        await get_client().get("/reset")
    assert upstream.request_count == 1
    assert upstream.connection_count == 1


@pytest.mark.parametrize(
    "path",
    [
        "../../admin",
        "../admin",
        "/../../admin",
        "items/../../../admin",
        "%2e%2e/%2e%2e/admin",
        "%2E%2E/admin",
        ".%2e/admin",
        "..%2fadmin",
        "..%5cadmin",
        "..;/admin",
    ],
)
async def test_a_path_leaving_the_base_url_is_refused(upstream, path):
    upstream.route("/admin", text="admin")
    upstream.route("/api/admin", text="api admin")
    with (
        upstream.override_clients("default", base_url=upstream.url_for("/api/v1/")),
        pytest.raises(BlockedDestination, match="leaves the client's base_url") as info,
    ):
        await get_client().get(path)
    assert info.value.reason == "path outside base_url"
    assert upstream.request_count == 0


async def test_a_scheme_relative_url_does_not_leave_the_base_url(upstream):
    with (
        upstream.override_clients("default", base_url=upstream.url_for("/api/v1/")),
        pytest.raises(BlockedDestination, match=r"scheme-relative URL //127\.0\.0\.1"),
    ):
        await get_client().get(f"//127.0.0.1:{upstream.port}/admin")
    assert upstream.request_count == 0


async def test_dot_segments_inside_the_base_url_are_resolved(upstream):
    upstream.route("/api/v1/items", text="items")
    with upstream.override_clients("default", base_url=upstream.url_for("/api/v1")):
        assert (await get_client().get("users/../items")).text() == "items"
        assert (await get_client().get("./items")).text() == "items"
    assert [r.path for r in upstream.requests] == ["/api/v1/items", "/api/v1/items"]


@pytest.mark.parametrize(
    "headers",
    [{"X-Note": "a\r\nX-Injected: 1"}, {"X-Note": "a\nb"}, {"X-Note": "a\rb"}],
)
async def test_a_header_value_with_cr_or_lf_raises_invalid_header_naming_it(
    upstream, client, headers
):
    upstream.route("/x", text="x")
    with pytest.raises(InvalidHeader, match="X-Note") as info:
        await client.get("/x", headers=headers)
    assert info.value.header == "X-Note"
    assert isinstance(info.value, ValueError)
    assert "X-Injected: 1" not in str(info.value)  # the value may be a secret: not echoed
    assert upstream.request_count == 0


async def test_a_header_name_that_is_not_a_token_raises_invalid_header(upstream, client):
    with pytest.raises(InvalidHeader, match="X-Bad Name"):
        await client.get("/x", headers={"X-Bad Name": "v"})
    assert upstream.request_count == 0
