"""astream_template: head first, values awaited at the flush, disconnect stops the work."""

import asyncio
import http.client
import inspect
import logging
import threading
import time
from pathlib import Path

import pytest
from django.template import TemplateDoesNotExist
from django.test import RequestFactory, override_settings

from django_asyncx.db import run_in_db
from django_asyncx.templates import astream_template
from tests.support.template_support import engines
from tests.support.testapp.models import Author, Book

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(autouse=True)
def template_engines():
    with override_settings(TEMPLATES=engines()):
        yield


class Gate:
    """An awaitable context value that finishes only when the test opens it."""

    def __init__(self, value):
        self.value = value
        self.opened = asyncio.Event()
        self.started = asyncio.Event()
        self.cancelled = False

    async def wait(self):
        self.started.set()
        try:
            await self.opened.wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        return self.value


async def chunks_until_gate(response, gate):
    """Read chunks; open the gate after the first one; return them all."""
    chunks = []
    async for chunk in response.streaming_content:
        chunks.append(chunk.decode())
        if len(chunks) == 1:
            assert not gate.opened.is_set()
            gate.opened.set()
    return chunks


@pytest.mark.parametrize("using", ["django", "jinja2"])
async def test_head_is_sent_before_a_slow_value_completes(using):
    gate = Gate(["r1", "r2"])
    response = astream_template(
        RequestFactory().get("/"), "asyncx/stream_child.html",
        {"title": "T", "rows": gate.wait(), "slow": "", "footer": "F"}, using=using,
    )  # fmt: skip
    stream = aiter(response.streaming_content)
    head = (await anext(stream)).decode()
    assert head.startswith("<html><head><title>T</title></head>")
    assert "r1" not in head
    assert gate.started.is_set()
    assert not gate.opened.is_set()
    gate.opened.set()
    rest = "".join([chunk.decode() async for chunk in stream])
    assert "<ul><li>r1</li><li>r2</li></ul>" in rest


async def test_django_chunks_follow_flush_tags_of_the_base_layout():
    gate = Gate(["a"])
    response = astream_template(
        None, "asyncx/stream_child.html", {"title": "T", "rows": gate.wait(), "footer": "F"}
    )
    chunks = await chunks_until_gate(response, gate)
    assert len(chunks) == 3
    assert chunks[1] == "\n<body><ul><li>a</li></ul></body>"
    assert chunks[2] == "\n<footer>F</footer></html>\n"


@pytest.mark.parametrize("using", ["django", "jinja2"])
async def test_cancelling_the_response_cancels_the_values_still_resolving(using):
    # What Django's ASGI handler does when the client disconnects.
    gate = Gate("never")
    response = astream_template(
        None, "asyncx/stream_child.html", {"title": "T", "rows": gate.wait(), "slow": ""},
        using=using,
    )  # fmt: skip
    head_sent = asyncio.Event()
    chunks = []
    tasks_before = len(asyncio.all_tasks())

    async def send():
        async for chunk in response.streaming_content:
            chunks.append(chunk)
            head_sent.set()

    task = asyncio.ensure_future(send())
    await head_sent.wait()
    await gate.started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert gate.cancelled
    assert len(chunks) == 1
    assert len(asyncio.all_tasks()) == tasks_before  # nothing left running


@pytest.mark.parametrize("using", ["django", "jinja2"])
async def test_a_value_used_in_the_head_makes_the_head_wait_and_warns(using, caplog):
    gate = Gate("Late")  # opened only once the warning is logged: the head did wait for it
    response = astream_template(
        None, "asyncx/stream_child.html",
        {"title": gate.wait(), "rows": ["x"], "slow": "", "footer": "F"}, using=using,
    )  # fmt: skip

    async def read():
        return [chunk.decode() async for chunk in response.streaming_content]

    class OpenOnWarning(logging.Handler):
        def emit(self, record):
            gate.opened.set()

    handler = OpenOnWarning(logging.WARNING)
    logging.getLogger("django_asyncx.templates").addHandler(handler)
    try:
        with caplog.at_level(logging.WARNING, logger="django_asyncx.templates"):
            async with asyncio.timeout(10):
                chunks = await read()
    finally:
        logging.getLogger("django_asyncx.templates").removeHandler(handler)
    assert chunks[0].startswith("<html><head><title>Late</title></head>")
    assert "<li>x</li>" in "".join(chunks)
    assert "used context key 'title' before the first {% flush %}" in caplog.text


async def test_missing_template_raises_in_the_view():
    with pytest.raises(TemplateDoesNotExist, match=r"asyncx/nope\.html"):
        astream_template(None, "asyncx/nope.html", {})


async def test_an_exception_in_a_value_names_key_and_template():
    async def rows():
        raise KeyError("gone")

    response = astream_template(None, "asyncx/stream.html", {"title": "T", "slow": rows()})
    stream = aiter(response.streaming_content)
    await anext(stream)
    with pytest.raises(KeyError) as failure:
        await anext(stream)
    assert failure.value.__notes__ == [
        "while resolving key 'slow'",
        "in the context of template 'asyncx/stream.html'",
    ]


@pytest.mark.django_db(transaction=True)
async def test_querysets_and_lazy_foreign_keys_after_the_flush():
    # Through the bridge, which closes the thread's connection after the call.
    await run_in_db(lambda: Book.objects.create(title="B", author=Author.objects.create(name="A")))
    response = astream_template(
        None, "asyncx/stream_child.html",
        {"title": "T", "rows": Book.objects.values_list("title", flat=True), "footer": "F"},
    )  # fmt: skip
    chunks = [chunk.decode() async for chunk in response.streaming_content]
    assert "<li>B</li>" in chunks[1]


# ------------------------------------------------------------------ over a real connection


def read_until(response, needle):
    data = b""
    while needle not in data:
        byte = response.read1(65536)
        assert byte, f"connection closed before {needle!r}; got {data!r}"
        data += byte
    return data


@pytest.mark.servers
def test_live_server_sends_the_head_first_and_disconnect_cancels(
    asyncx_live_server_factory, tmp_path
):
    live = asyncx_live_server_factory(
        "tests.support.templates_asgi:application", cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "tests.settings",
             "PYTHONPATH": f"{ROOT}:{ROOT / 'example_project'}"},
        ready_path="/hello/",
    )  # fmt: skip
    # 0. django_asyncx's handler awaits an AsyncTemplateResponse's render().
    page = live.get("/templates/response-plain/")
    assert page.status == 200
    assert page.text == "<html><head><title>Deferred</title></head><body>s</body></html>\n"
    # 1. the head arrives while the slow value waits for a file only this test creates.
    run = tmp_path / "run1"
    run.mkdir()
    conn = http.client.HTTPConnection(live.host, live.port, timeout=30)
    conn.request("GET", f"/templates/stream-until-file/?dir={run}")
    response = conn.getresponse()
    assert response.status == 200
    head = read_until(response, b"</head>")
    assert b"<title>Streamed</title>" in head
    assert b"slow part done" not in head
    assert (run / "started").exists()
    assert not (run / "go").exists()
    (run / "go").touch()
    rest = response.read()
    assert b"<body>slow part done</body></html>" in head + rest
    conn.close()
    # 2. a client that goes away after the head: the server cancels the slow value.
    run = tmp_path / "run2"
    run.mkdir()
    conn = http.client.HTTPConnection(live.host, live.port, timeout=30)
    conn.request("GET", f"/templates/stream-until-file/?dir={run}")
    response = conn.getresponse()
    read_until(response, b"</head>")
    conn.close()
    deadline = time.monotonic() + 20  # a bound for a hang, not a measure
    while not (run / "cancelled").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (run / "cancelled").exists()
    assert not (run / "go").exists()


async def test_jinja2_flush_counts_inside_blocks_too():
    gate = Gate(["a"])
    response = astream_template(
        None, "asyncx/stream_in_block.html", {"title": "T", "rows": gate.wait()}, using="jinja2"
    )
    chunks = await chunks_until_gate(response, gate)
    assert chunks == [
        "<html><head><title>T</title></head>",
        "\n<body><p>T</p>",
        "<ul><li>a</li></ul></body></html>",
    ]


class Blocker:
    """A value whose rendering holds the bridge thread until the test releases it."""

    def __init__(self):
        self.entered = threading.Event()
        self.release = threading.Event()

    def __str__(self):
        self.entered.set()
        self.release.wait(10)
        return "released"


async def test_cancelled_while_a_chunk_renders_in_the_bridge():
    blocker = Blocker()
    response = astream_template(None, "asyncx/stream.html", {"title": "T", "slow": blocker})
    stream = aiter(response.streaming_content)
    await anext(stream)  # the head
    task = asyncio.ensure_future(anext(stream))  # the body: blocks in the bridge thread
    await asyncio.to_thread(blocker.entered.wait, 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    blocker.release.set()


async def test_a_response_never_sent_closes_the_values_it_would_have_resolved():
    async def slow():
        return "never"

    coroutine = slow()
    response = astream_template(None, "asyncx/stream.html", {"title": "T", "slow": coroutine})
    response.close()  # what Django does at the end of a request, e.g. after a middleware
    assert inspect.getcoroutinestate(coroutine) == inspect.CORO_CLOSED  # no "never awaited"


async def test_a_missing_template_closes_the_values_too():
    async def slow():
        return "never"

    coroutine = slow()
    with pytest.raises(TemplateDoesNotExist):
        astream_template(None, "asyncx/nope.html", {"slow": coroutine})
    assert inspect.getcoroutinestate(coroutine) == inspect.CORO_CLOSED


async def test_a_sent_response_closes_nothing_early():
    gate = Gate("done")
    response = astream_template(None, "asyncx/stream.html", {"title": "T", "slow": gate.wait()})
    stream = aiter(response.streaming_content)
    await anext(stream)
    response.close()  # Django closes after the body; here mid-way: the stream carries on
    gate.opened.set()
    assert b"<body>done</body>" in b"".join([chunk async for chunk in stream])
