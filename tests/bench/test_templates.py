"""The template benchmark's views give the same page four ways (in process, no timing)."""

import io
import socket
import threading

import pytest
from django.core.management import call_command
from django.test import override_settings

from bench import templates as bench_templates
from bench.project.settings import TEMPLATES

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("bench.project.urls.templates"),
]


@pytest.fixture(autouse=True)
def seeded():
    call_command("seed_demo", "--authors", "100", "--books-per-author", "1", stdout=io.StringIO())
    with override_settings(TEMPLATES=TEMPLATES):
        yield


async def test_the_table_is_the_same_rendered_every_way(async_client):
    pages = [
        (await async_client.get(path)).content
        for path in ("/table-sync", "/table-stock-async", "/table-arender")
    ]
    assert pages[0] == pages[1] == pages[2]
    assert pages[0].count(b"<tr><td>") == 100


async def test_streamed_and_buffered_pages_are_the_same(async_client):
    streamed = await async_client.get("/streamed")
    chunks = [chunk async for chunk in streamed.streaming_content]
    buffered = await async_client.get("/buffered")
    assert len(chunks) == 2
    assert b"".join(chunks) == buffered.content
    assert b"slow section ready" in chunks[1]


def test_targets_and_the_native_row():
    keys = [t.key for t in bench_templates.targets(native=False)]
    assert keys == ["wsgi-render", "stock-sync-to-async", "arender-thread"]
    native = bench_templates.targets(native=True)[-1]
    assert dict(native.env)["BENCH_DB_ENGINE"] == "django_asyncx.db.backends.postgresql"


def test_first_and_last_byte_are_read_from_a_chunked_response():
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve():
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
            conn.sendall(b"5\r\nworld\r\n0\r\n\r\n")

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        first, last = bench_templates._first_and_last_byte(port, "/")
    finally:
        thread.join()
        listener.close()
    assert 0 < first <= last


def test_main_refuses_bad_arguments(capsys):
    with pytest.raises(SystemExit):
        bench_templates.main(["--runs", "0"])
    assert "--runs must be >= 1, got 0" in capsys.readouterr().err
