"""The WhiteNoise drop-in answers as WhiteNoise does, from the loop, with no thread hop.

Every request is sent to stock WhiteNoise (its middleware in Django's WSGI stack, where it
is meant to run) and to the drop-in (in django_asyncx's ASGI stack); status, headers and
body must be equal. The files are real: a stylesheet with gzip and brotli variants, a
file too large for memory, an index file.
"""

import gzip

import brotli
import pytest
from asgiref.sync import sync_to_async
from django.test import Client, override_settings

from django_asyncx.asgi import ASGIHandler
from django_asyncx.hops import arequest, count_hops
from django_asyncx.middleware import async_native
from django_asyncx.middleware.whitenoise import WhiteNoiseMiddleware

STOCK = ["whitenoise.middleware.WhiteNoiseMiddleware", "django.middleware.common.CommonMiddleware"]
CSS = b"body { color: #123456; }\n" * 200
BIG = bytes(range(256)) * 40  # 10 KiB


@pytest.fixture
def static_root(tmp_path):
    root = tmp_path / "static"
    (root / "css").mkdir(parents=True)
    (root / "css" / "app.css").write_bytes(CSS)
    (root / "css" / "app.css.gz").write_bytes(gzip.compress(CSS))
    (root / "css" / "app.css.br").write_bytes(brotli.compress(CSS))
    (root / "big.bin").write_bytes(BIG)
    (root / "docs").mkdir()
    (root / "docs" / "index.html").write_bytes(b"<p>docs</p>")
    return root


def settings_for(static_root, **extra):
    return override_settings(
        STATIC_URL="/static/",
        STATIC_ROOT=str(static_root),
        WHITENOISE_INDEX_FILE=True,
        ROOT_URLCONF="tests.support.views_app.urls",
        **extra,
    )


def _stock(method, path, headers):
    client = Client()
    response = client.generic(method, path, headers=headers)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    response.close()
    return response.status_code, sorted((k.lower(), v) for k, v in response.items()), body


async def both(method, path, headers=None, *, settings):
    """(stock WhiteNoise under WSGI, the drop-in under ASGI, hops of the drop-in)."""
    headers = headers or {}
    with settings, override_settings(MIDDLEWARE=STOCK):
        stock = await sync_to_async(_stock)(method, path, headers)
    with settings, override_settings(MIDDLEWARE=async_native(STOCK)):
        app = ASGIHandler()
        with count_hops() as hops:
            result = await arequest(app, method, path, headers=headers)
    ours = result.status, sorted(result.headers), result.body
    return stock, ours, hops


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("GET", "/static/css/app.css", {}),
        ("GET", "/static/css/app.css", {"accept-encoding": "gzip"}),
        ("GET", "/static/css/app.css", {"accept-encoding": "gzip, deflate, br"}),
        ("GET", "/static/css/app.css", {"accept-encoding": "*"}),
        ("HEAD", "/static/css/app.css", {"accept-encoding": "gzip"}),
        ("GET", "/static/css/app.css", {"range": "bytes=0-9"}),
        ("GET", "/static/css/app.css", {"range": "bytes=-7"}),
        ("GET", "/static/css/app.css", {"range": "bytes=4990-"}),
        ("GET", "/static/css/app.css", {"range": "bytes=999999-"}),
        ("GET", "/static/css/app.css", {"range": "bytes=0-1,5-6"}),
        ("GET", "/static/css/app.css", {"range": "items=0-1"}),
        ("GET", "/static/css/app.css", {"if-modified-since": "Fri, 01 Jan 2100 00:00:00 GMT"}),
        ("GET", "/static/css/app.css", {"if-none-match": '"nope"'}),
        ("POST", "/static/css/app.css", {}),
        ("GET", "/static/big.bin", {"range": "bytes=100-5000"}),
        ("GET", "/static/docs/", {}),
        ("GET", "/static/docs", {}),
        ("GET", "/static/docs/index.html", {}),
        ("GET", "/static/missing.css", {}),
    ],
)
@pytest.mark.parametrize("autorefresh", [False, True])
async def test_each_request_is_answered_as_whitenoise_answers_it(
    static_root, method, path, headers, autorefresh
):
    settings = settings_for(static_root, WHITENOISE_AUTOREFRESH=autorefresh)
    stock, ours, hops = await both(method, path, headers, settings=settings)
    assert ours == stock
    if path.startswith("/static/") and "missing" not in path:
        assert hops.count == 0, hops.by_owner()


@pytest.mark.parametrize("autorefresh", [False, True])
async def test_a_conditional_get_with_the_etag_is_a_304(static_root, autorefresh):
    settings = settings_for(static_root, WHITENOISE_AUTOREFRESH=autorefresh)
    stock, ours, _ = await both("GET", "/static/css/app.css", settings=settings)
    etag = dict(ours[1])["etag"]
    stock, ours, hops = await both(
        "GET", "/static/css/app.css", {"if-none-match": etag}, settings=settings
    )
    assert ours == stock
    assert ours[0] == 304
    assert hops.count == 0


async def test_a_file_over_the_memory_limit_streams_in_chunks_read_in_threads(
    static_root, monkeypatch
):
    monkeypatch.setattr(WhiteNoiseMiddleware, "memory_file_max", 1024)
    monkeypatch.setattr(WhiteNoiseMiddleware, "chunk_size", 4096)
    settings = settings_for(static_root)
    stock, ours, hops = await both("GET", "/static/big.bin", settings=settings)
    assert ours == stock
    assert ours[2] == BIG
    # open, seek, three reads of 4 KiB (10 KiB), close: the loop never reads the disk.
    assert {hop.via for hop in hops.hops} == {"executor"}
    assert hops.count == 6
    stock, ours, _ = await both("GET", "/static/css/app.css", settings=settings)
    assert ours == stock


async def test_stock_whitenoise_costs_hops_in_an_async_stack(static_root):
    with settings_for(static_root), override_settings(MIDDLEWARE=STOCK[:1]):
        app = ASGIHandler()
        with pytest.warns(Warning, match="consume synchronous iterators"), count_hops() as hops:
            result = await arequest(app, "GET", "/static/css/app.css")
    assert result.status == 200
    assert result.body == CSS
    assert hops.count >= 2, hops.by_owner()
