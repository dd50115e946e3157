"""The admin's static files under real servers, development and production, no thread hop.

uvicorn and granian serve a project with the admin and the WhiteNoise drop-in; each test
fetches the admin's stylesheet as a browser does and compares it with the file Django ships,
then asks the server process how many thread hops that request made. Both servers run on
asyncio's loop so that every hop (executors included) is counted.
"""

import gzip
import os
import subprocess
import sys
from pathlib import Path

import django.contrib.admin
import pytest

pytestmark = pytest.mark.servers

ROOT = Path(__file__).resolve().parent.parent.parent
APP = "tests.support.static_project.asgi:application"
SETTINGS = "tests.support.static_project.settings"
BASE_CSS = Path(django.contrib.admin.__file__).parent / "static" / "admin" / "css" / "base.css"
LOOP = {"uvicorn": ["--loop", "asyncio"], "granian": ["--loop", "asyncio"]}


def _env(mode, static_root):
    env = {"DJANGO_SETTINGS_MODULE": SETTINGS, "STATIC_ROOT": str(static_root)}
    if mode == "development":
        env["STATIC_DEBUG"] = "1"
    return env


def _collectstatic(env):
    subprocess.run(
        [sys.executable, "-m", "django", "collectstatic", "--no-input", "-v", "0"],
        cwd=ROOT, env={**os.environ, **env}, check=True, timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize("mode", ["development", "production"])
@pytest.mark.parametrize("server", ["uvicorn", "granian"])
def test_the_admin_css_is_served_from_the_loop(server, mode, tmp_path, asyncx_live_server_factory):
    env = _env(mode, tmp_path / "static")
    if mode == "production":
        _collectstatic(env)
    live = asyncx_live_server_factory(
        APP, server=server, cwd=ROOT, env=env, args=LOOP[server], ready_path="/__hops__/"
    )
    path = "/static/admin/css/base.css"
    response = live.get(path)
    assert response.status == 200
    assert response.headers["content-type"] == 'text/css; charset="utf-8"'
    assert response.body == BASE_CSS.read_bytes()
    assert live.get("/__hops__/").json()[path] == []

    compressed = live.get(path, headers={"Accept-Encoding": "gzip"})
    if mode == "production":
        # collectstatic compressed it: the gzip variant, decoded, is the file.
        assert compressed.headers["content-encoding"] == "gzip"
        assert gzip.decompress(compressed.body) == BASE_CSS.read_bytes()
    else:
        assert compressed.body == BASE_CSS.read_bytes()
    assert live.get("/__hops__/").json()[path] == []

    etag = response.headers["etag"]
    assert live.get(path, headers={"If-None-Match": etag}).status == 304
    ranged = live.get(path, headers={"Range": "bytes=0-99"})
    assert (ranged.status, ranged.body) == (206, BASE_CSS.read_bytes()[:100])
    assert live.get("/__hops__/").json()[path] == []


def test_the_admin_login_page_links_the_stylesheet_it_serves(tmp_path, asyncx_live_server_factory):
    env = _env("production", tmp_path / "static")
    _collectstatic(env)
    live = asyncx_live_server_factory(
        APP, server="uvicorn", cwd=ROOT, env=env, args=LOOP["uvicorn"], ready_path="/__hops__/"
    )
    page = live.get("/admin/login/")
    assert page.status == 200
    for name in ("base.css", "login.css"):
        assert f'href="/static/admin/css/{name}"'.encode() in page.body
        assert live.get(f"/static/admin/css/{name}").status == 200
