"""A real PgBouncer for a test: the deployment guide's config (docs/cookbook/pgbouncer.ini) on a
free loopback port, with its own auth file, log and pid file in a temporary directory, in
front of one database of the test's PostgreSQL server."""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django_asyncx.testing.servers import free_port
from django_asyncx.testing.services import service_unavailable

__all__ = ["CONFIG", "PgBouncer", "config_value", "pgbouncer_binary", "running_pgbouncer"]

CONFIG = Path(__file__).resolve().parents[2] / "docs" / "cookbook" / "pgbouncer.ini"
# PgBouncer refuses to run as root; as root it switches to this user (-u).
_RUN_AS = "postgres"


@dataclass(frozen=True)
class PgBouncer:
    """A running PgBouncer: where it listens, the database it serves, and its files."""

    port: int
    database: str
    user: str
    password: str
    directory: Path
    process: subprocess.Popen[bytes]

    def log(self) -> str:
        """What PgBouncer logged so far."""
        path = self.directory / "pgbouncer.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        """Shut PgBouncer down (it closes its server connections); idempotent."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # no client is left: shut down now
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def pgbouncer_binary() -> str:
    """The pgbouncer executable, or a skip (a failure under ASYNCX_REQUIRE_SERVICES=1)."""
    found = shutil.which("pgbouncer") or (
        "/usr/sbin/pgbouncer" if os.path.exists("/usr/sbin/pgbouncer") else None
    )
    if found is None:
        service_unavailable("pgbouncer is not installed (.ci/dev installs the Debian package)")
    return found


def config_value(key: str) -> str:
    """A setting of the documented config (``default_pool_size``...)."""
    match = re.search(rf"^{key} = (.*)$", CONFIG.read_text(), re.MULTILINE)
    assert match is not None, f"{key} is not in {CONFIG}"
    return match[1]


def _answers(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@contextlib.contextmanager
def running_pgbouncer(server_url: str, database: str) -> Iterator[PgBouncer]:
    """PgBouncer, with the documented config, in front of ``database`` on ``server_url``."""
    binary = pgbouncer_binary()
    server = urlsplit(server_url)
    user = server.username or "postgres"
    password = "pgbouncer-test"
    # Not under pytest's private tmp directory: as root, PgBouncer runs as another user.
    directory = Path(tempfile.mkdtemp(prefix="asyncx_pgbouncer_"))
    port = free_port()
    config = (
        CONFIG.read_text()
        .replace(
            "shop = host=127.0.0.1 port=5432 dbname=shop",
            f"{database} = host={server.hostname or '127.0.0.1'} port={server.port or 5432} "
            f"dbname={database}",
        )
        .replace("listen_port = 6432", f"listen_port = {port}")
        .replace("/etc/pgbouncer/userlist.txt", str(directory / "userlist.txt"))
    )
    config += f"logfile = {directory / 'pgbouncer.log'}\npidfile = {directory / 'pgbouncer.pid'}\n"
    (directory / "pgbouncer.ini").write_text(config)
    (directory / "userlist.txt").write_text(f'"{user}" "{password}"\n')
    command = [binary, str(directory / "pgbouncer.ini")]
    if os.geteuid() == 0:
        account = pwd.getpwnam(_RUN_AS)
        for path in (directory, *directory.iterdir()):
            os.chown(path, account.pw_uid, account.pw_gid)
        command[1:1] = ["-u", _RUN_AS]
    output = open(directory / "pgbouncer.out", "wb")  # noqa: SIM115 - closed in finally
    process = subprocess.Popen(command, stdout=output, stderr=output, start_new_session=True)
    bouncer = PgBouncer(port, database, user, password, directory, process)
    try:
        deadline = time.monotonic() + 30
        while not _answers(port):
            if process.poll() is not None or time.monotonic() > deadline:
                output.flush()
                raise AssertionError(
                    f"pgbouncer did not start: {(directory / 'pgbouncer.out').read_text()}"
                )
            time.sleep(0.05)
        yield bouncer
    finally:
        bouncer.stop()
        output.close()
        shutil.rmtree(directory, ignore_errors=True)
