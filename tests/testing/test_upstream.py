"""The test upstream server: routes, recorded requests, request and connection counts."""

import http.client
import json
import threading
import urllib.error
import urllib.request

import pytest

from django_asyncx.conf import asyncx_settings
from django_asyncx.http import get_client
from django_asyncx.testing.upstream import Upstream


def test_it_serves_sync_code_and_counts_connections(asyncx_upstream):
    asyncx_upstream.route("/a", json={"a": 1})
    connection = http.client.HTTPConnection("127.0.0.1", asyncx_upstream.port)
    try:
        for _ in range(3):  # one kept-alive connection
            connection.request("GET", "/a?x=1", headers={"X-Test": "yes"})
            response = connection.getresponse()
            assert json.loads(response.read()) == {"a": 1}
    finally:
        connection.close()
    with urllib.request.urlopen(asyncx_upstream.url_for("/a")) as response:  # a second connection
        assert response.status == 200
    assert asyncx_upstream.request_count == 4
    assert asyncx_upstream.connection_count == 2
    first = asyncx_upstream.requests[0]
    assert (first.method, first.path, first.query) == ("GET", "/a", {"x": "1"})
    assert first.headers["x-test"] == "yes"


def test_unknown_paths_get_404_and_methods_can_be_restricted(asyncx_upstream):
    asyncx_upstream.route("/only-post", text="ok", methods=("POST",))
    for path, status in (("/nothing", 404), ("/only-post", 405)):
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(asyncx_upstream.url_for(path))
        assert info.value.code == status
        info.value.close()
    request = urllib.request.Request(
        asyncx_upstream.url_for("/only-post"), data=b"body", method="POST"
    )
    with urllib.request.urlopen(request) as response:
        assert response.read() == b"ok"
    assert asyncx_upstream.requests[-1].body == b"body"


def test_routes_can_change_while_serving_and_reset_forgets_requests(asyncx_upstream):
    asyncx_upstream.route("/v", text="one")
    with urllib.request.urlopen(asyncx_upstream.url_for("/v")) as response:
        assert response.read() == b"one"
    asyncx_upstream.route("/v", text="two", status=201, headers={"X-V": "2"})
    with urllib.request.urlopen(asyncx_upstream.url_for("/v")) as response:
        assert (response.status, response.headers["X-V"], response.read()) == (201, "2", b"two")
    asyncx_upstream.reset()
    assert asyncx_upstream.request_count == 0
    assert asyncx_upstream.connection_count == 0


async def test_override_clients_points_named_clients_here_and_keeps_other_settings(asyncx_upstream):
    asyncx_upstream.route("/x", text="x")
    with asyncx_upstream.override_clients("a", "b", limit_per_host=3):
        assert asyncx_settings.HTTP_CLIENTS["a"].base_url == asyncx_upstream.url
        assert asyncx_settings.HTTP_CLIENTS["b"].limit_per_host == 3
        assert asyncx_settings.HTTP_CLIENTS["a"].allow_private is True
        assert (await get_client("b").get("/x")).text() == "x"
    assert "a" not in asyncx_settings.HTTP_CLIENTS


def test_stop_cancels_a_request_in_flight_and_joins_its_thread():
    threads_before = threading.active_count()
    server = Upstream().start()
    server.route("/slow", text="late", delay=30)
    outcome = []

    def call():
        try:
            with urllib.request.urlopen(server.url_for("/slow"), timeout=60) as response:
                outcome.append(response.status)
        except (OSError, http.client.HTTPException) as exc:
            outcome.append(type(exc).__name__)

    caller = threading.Thread(target=call)
    caller.start()
    arrived = threading.Event()
    while server.request_count == 0:
        arrived.wait(0.01)
    server.stop()  # does not wait out the 30 s handler
    caller.join(timeout=30)
    assert not caller.is_alive()
    assert outcome != [200]
    assert threading.active_count() == threads_before
