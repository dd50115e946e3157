"""The deployment the realtime guide shows: Nginx (docs/cookbook/realtime_nginx.conf) in
front of daphne and uvicorn on unix sockets, sharing rooms through Redis; HTTP, WebSocket and
server-sent events through the proxy.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import aiohttp
import pytest

from django_asyncx.testing.servers import free_port
from django_asyncx.testing.services import service_unavailable
from tests.realtime.chat_project import EXAMPLE, ROOT, ChatProject, join, login, receive

pytestmark = pytest.mark.servers

SITE = ROOT / "docs" / "cookbook" / "realtime_nginx.conf"


def nginx_binary() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None
    )
    if found is None:
        service_unavailable("nginx is not installed (.ci/dev installs the Debian package)")
    return found


def main_config(tmp: Path, site: Path) -> str:
    # Everything the packaged nginx.conf would provide, kept inside the temporary directory;
    # as root, workers keep root's identity so they can reach root's sockets.
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {kind}_temp_path {tmp / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"{user}daemon off;\nworker_processes 1;\npid {tmp / 'nginx.pid'};\n"
        f"error_log {tmp / 'error.log'} warn;\nevents {{ worker_connections 256; }}\n"
        f"http {{\n    access_log off;\n{temp}\n    include {site};\n}}\n"
    )


def wait_for(check, what, process, *, within=30.0):
    deadline = time.monotonic() + within
    while not check():
        if process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"{what} did not come up: {process.args}")
        time.sleep(0.05)


def start(command, *, cwd, log, env=None):
    with open(log, "wb") as output:
        return subprocess.Popen(command, cwd=cwd, env={**os.environ, **(env or {})},
                                start_new_session=True, stdout=output, stderr=output)  # fmt: skip


def stop(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def listening(port):
    import socket

    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def deployment(tmp_path, asyncx_redis_url):
    nginx = nginx_binary()
    project = ChatProject(f"sqlite:///{tmp_path / 'chat.sqlite3'}", redis_url=asyncx_redis_url)
    project.prepare("ann", "bob")
    daphne_sock, uvicorn_sock = tmp_path / "daphne.sock", tmp_path / "uvicorn.sock"
    port = free_port()
    site = tmp_path / "django.conf"
    site.write_text(
        SITE.read_text()
        .replace("/run/django/daphne.sock", str(daphne_sock))
        .replace("/run/django/uvicorn.sock", str(uvicorn_sock))
        .replace("listen 80;", f"listen 127.0.0.1:{port};")
    )
    (tmp_path / "nginx.conf").write_text(main_config(tmp_path, site))
    app = "config.asgi:application"
    processes = []
    try:
        for command, sock in [
            ([sys.executable, "-m", "daphne", "-u", str(daphne_sock), app], daphne_sock),
            ([sys.executable, "-m", "uvicorn", "--uds", str(uvicorn_sock), app], uvicorn_sock),
        ]:
            log = tmp_path / f"{command[2]}.log"
            processes.append(start(command, cwd=EXAMPLE, log=log, env=project.env))
            wait_for(sock.exists, command[2], processes[-1])
        processes.append(
            start(
                [nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                cwd=tmp_path,
                log=tmp_path / "nginx.out",
            )
        )
        wait_for(lambda: listening(port), "nginx", processes[-1])
        yield f"http://127.0.0.1:{port}", tmp_path
    finally:
        for process in reversed(processes):
            stop(process)


async def test_http_websocket_and_events_through_nginx_to_two_processes(deployment):
    deployment, logs = deployment
    room = f"nginx-{uuid.uuid4().hex[:8]}"
    async with aiohttp.ClientSession() as session:
        for _ in range(4):  # round robin: both processes serve pages
            async with session.get(f"{deployment}/chat/{room}/") as page:
                assert page.status == 200
                assert "new WebSocket(" in await page.text()
        ann, bob = await login(deployment, "ann"), await login(deployment, "bob")
        events = await session.get(f"{deployment}/chat/{room}/events/")
        assert events.headers["Content-Type"] == "text/event-stream"
        assert await events.content.readuntil(b"\n\n") == b"retry: 2000\n\n"
        assert (
            await events.content.readuntil(b"\n\n") == b'event: history\ndata: {"messages": []}\n\n'
        )
        async with (
            join(deployment, room, cookie=ann) as ann_ws,
            join(deployment, room, cookie=bob) as bob_ws,
        ):
            await receive(ann_ws), await receive(bob_ws)
            await ann_ws.send(json.dumps({"message": "through nginx"}))
            expected = {"type": "message", "user": "ann", "message": "through nginx"}
            assert await receive(bob_ws) == expected
            assert await receive(ann_ws) == expected
            streamed = await events.content.readuntil(b"\n\n")
        events.close()
    assert streamed == b'event: chat_message\ndata: {"user": "ann", "message": "through nginx"}\n\n'
    for server in ("daphne", "uvicorn"):  # round robin reached both processes
        assert f"/chat/{room}/" in (logs / f"{server}.log").read_text(), server
