"""The ASGI entry: dispatch by scope type, websocket passthrough, lazy start for http."""

import pytest
from asgiref.testing import ApplicationCommunicator
from django.test import override_settings

from django_asyncx import lifespan
from django_asyncx.asgi import ASGIHandler, AsyncxApplication, get_asgi_application
from django_asyncx.exceptions import UnsupportedScopeError


@pytest.fixture(autouse=True)
def no_hooks(monkeypatch):
    monkeypatch.setattr(lifespan, "_steps", [])


def http_scope(path="/hello/"):
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }


async def echo_websocket(scope, receive, send):
    message = await receive()
    assert message["type"] == "websocket.connect"
    await send({"type": "websocket.accept"})
    message = await receive()
    await send({"type": "websocket.send", "text": f"{scope['path']}: {message['text']}"})


async def test_http_is_served_by_django_and_starts_hooks_lazily():
    started = []
    lifespan.on_startup(lambda: started.append(True))
    app = AsyncxApplication(http=ASGIHandler())
    communicator = ApplicationCommunicator(app, http_scope())
    await communicator.send_input({"type": "http.request", "body": b"", "more_body": False})
    start = await communicator.receive_output(5)
    body = await communicator.receive_output(5)
    await communicator.wait(5)
    assert start["status"] == 200
    assert body["body"] == b'{"hello": "world", "method": "GET"}'
    assert started == [True]


async def test_websocket_goes_to_the_websocket_application():
    app = AsyncxApplication(http=ASGIHandler(), websocket=echo_websocket)
    communicator = ApplicationCommunicator(app, {"type": "websocket", "path": "/ws/"})
    await communicator.send_input({"type": "websocket.connect"})
    assert await communicator.receive_output(5) == {"type": "websocket.accept"}
    await communicator.send_input({"type": "websocket.receive", "text": "ping"})
    assert await communicator.receive_output(5) == {"type": "websocket.send", "text": "/ws/: ping"}
    await communicator.wait(5)


async def test_websocket_without_application_is_refused_with_a_log(caplog):
    app = AsyncxApplication(http=ASGIHandler())
    communicator = ApplicationCommunicator(app, {"type": "websocket", "path": "/ws/"})
    await communicator.send_input({"type": "websocket.connect"})
    assert await communicator.receive_output(5) == {"type": "websocket.close", "code": 1008}
    await communicator.wait(5)
    assert "no websocket application" in caplog.text
    assert 'ASYNCX["WEBSOCKET_APPLICATION"]' in caplog.text


async def test_unknown_scope_type_is_a_clear_error():
    app = AsyncxApplication(http=ASGIHandler())
    with pytest.raises(UnsupportedScopeError) as info:
        await app({"type": "webtransport"}, None, None)
    assert "'webtransport'" in str(info.value)
    assert "accepted: 'http', 'websocket'" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_get_asgi_application_takes_websocket_app_from_settings():
    with override_settings(ASYNCX={"WEBSOCKET_APPLICATION": "tests.test_asgi.echo_websocket"}):
        app = get_asgi_application()
    assert app.websocket is echo_websocket
    assert isinstance(app.http, ASGIHandler)


def test_get_asgi_application_argument_wins_over_settings():
    async def other(scope, receive, send):
        raise AssertionError("not called")

    with override_settings(ASYNCX={"WEBSOCKET_APPLICATION": "tests.test_asgi.echo_websocket"}):
        app = get_asgi_application(websocket=other)
    assert app.websocket is other
