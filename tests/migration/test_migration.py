"""The migration guide's project: every step is a tested state of the code.

``tests/migration/project`` is a small sync Django project (``step0``) and the folders of the
steps docs/migration.md takes it through, each holding the files that step changes
(``stepN/settings.py`` imports the previous step's). At every step the project's own Django
suite (``library/tests.py``, never changed) passes on SQLite and PostgreSQL, the audit
reports the figures of the guide's table, and the codemod's output is the next step's views.
The last step is served in development: ``runserver`` through Daphne, and uvicorn or granian
with the WhiteNoise drop-in serving the apps' static files.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from django_asyncx.testing import services
from django_asyncx.testing.servers import LiveServer, free_port

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
GUIDE = ROOT / "docs" / "migration.md"
STEPS = [f"step{n}" for n in range(7)]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A copy of the project: its runs write databases and files into their own folder."""
    copy = tmp_path_factory.mktemp("migration") / "project"
    shutil.copytree(
        HERE / "project", copy, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3")
    )
    return copy


def env(step: str, **extra: str) -> dict[str, str]:
    """This process's environment, for the project at ``step``."""
    environ = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    return {
        **environ,
        "DJANGO_SETTINGS_MODULE": f"{step}.settings",
        "PYTHONPATH": str(ROOT),
        **extra,
    }


def run(project: Path, step: str, *args: str, database: str = "sqlite", check: bool = True):
    result = subprocess.run(
        [sys.executable, "-W", "error", "manage.py", *args], cwd=project,
        env=env(step, LIBRARY_DB=database), capture_output=True, text=True, timeout=300,
        check=False,
    )  # fmt: skip
    output = result.stdout + result.stderr
    if check:
        assert result.returncode == 0, output
    return result


@pytest.mark.acceptance
@pytest.mark.parametrize("database", ["sqlite", "postgres"])
@pytest.mark.parametrize("step", STEPS)
def test_the_projects_own_suite_passes_at_every_step(project, step, database):
    if database == "postgres":
        services.postgres_url()  # a throwaway server when none answers
    result = run(project, step, "test", "library", "--noinput", database=database)
    output = result.stdout + result.stderr
    assert re.search(r"^Ran 10 tests in ", output, re.MULTILINE), output
    assert re.search(r"^OK$", output, re.MULTILINE), output


def guide_table() -> dict[str, dict[str, str]]:
    """The guide's table of audit figures: step name to its row."""
    section = GUIDE.read_text().split("% begin audit figures\n", 1)[1]
    section = section.split("% end audit figures\n", 1)[0]
    header, _, *rows = [
        [cell.strip().strip("`") for cell in line.strip().strip("|").split("|")]
        for line in section.splitlines()
        if line.startswith("|")
    ]
    return {f"step{row[0]}": dict(zip(header, row, strict=True)) for row in rows}


def test_the_audit_reports_at_each_step_what_the_guide_says(project):
    table = guide_table()
    assert list(table) == STEPS[1:]
    for step, row in table.items():
        audit = json.loads(run(project, step, "asyncx_audit", "--json").stdout)
        sync_views = [f for f in audit["findings"] if f["kind"] == "url" and f["hops"]]
        measured = {
            "django_asyncx's application": "yes" if audit["application_is_asyncx"] else "no",
            "hops per request": str(audit["hops_per_request"]),
            "sync views": str(len(sync_views)),
            "costliest request": str(audit["worst_request"]["hops"]),
        }
        assert audit["probe_status"] == 200, step
        assert measured == {key: row[key] for key in measured}, step
        # --fail-on-hops 0 passes only once nothing is left.
        failed = run(project, step, "asyncx_audit", "--fail-on-hops", "0", check=False)
        assert failed.returncode == (0 if measured["costliest request"] == "0" else 1), step


def test_the_audit_output_the_guide_shows_is_the_real_one(project):
    shown = GUIDE.read_text().split("% begin audit output step1\n```text\n", 1)[1]
    shown = shown.split("```\n% end audit output step1\n", 1)[0]
    output = run(project, "step1", "asyncx_audit").stdout.splitlines()
    # An excerpt: each line shown is a line of the output, in the same order.
    positions = [output.index(line) for line in shown.splitlines()]
    assert positions == sorted(positions), positions


def formatted(source: str, path: Path) -> str:
    """``source`` as the project's tools leave it: imports sorted, then formatted (ruff)."""
    ruff = [str(Path(sys.executable).with_name("ruff"))]
    for args in (["check", "--fix", "--select", "I", "--quiet"], ["format", "--quiet"]):
        source = subprocess.run(
            [*ruff, *args, "--stdin-filename", str(path), "-"], input=source, cwd=ROOT,
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    return source


def test_the_codemod_turns_the_sync_views_into_step4s(project, tmp_path):
    # asyncx_migrate --write on step 0's views, then the import sorter and the formatter.
    views = project / "scratch" / "views.py"
    views.parent.mkdir()
    shutil.copy(project / "step0" / "views.py", views)
    output = run(project, "step1", "asyncx_migrate", "scratch", "--write").stdout
    assert "converted 5 view(s) in 1 of 1 file(s); 1 note(s) left" in output, output
    step4 = HERE / "project" / "step4" / "views.py"
    assert formatted(views.read_text(), step4) == step4.read_text()
    # The note it left is the class-based view, which step 5 converts by hand; then there is
    # nothing left to convert.
    assert "# asyncx: class-based view: use django_asyncx.views' async twin (ListView -> " \
        "AsyncListView)" in step4.read_text()  # fmt: skip
    check = run(project, "step1", "asyncx_migrate", "step5", "--check", check=False)
    assert check.returncode == 0, check.stdout + check.stderr


def get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def wait_until_served(process: subprocess.Popen[str], port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[0]
        try:
            get(port, "/health/")
        except OSError:
            time.sleep(0.1)
        else:
            return
    process.kill()
    pytest.fail(f"runserver did not answer on port {port}: {process.communicate()[0]}")


ADMIN_CSS = "/static/admin/css/base.css"


@pytest.mark.servers
def test_runserver_serves_the_project_through_django_asyncx_with_daphne(project):
    run(project, "step6", "migrate", "--noinput")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-W", "error", "manage.py", "runserver", f"127.0.0.1:{port}",
         "--noreload"], cwd=project,
        env=env("step6"),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        # Ctrl-C stops it, even when this process was started with SIGINT ignored (a
        # background job of a shell).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    try:
        wait_until_served(process, port)
        status, headers, body = get(port, "/health/")
        # Daphne serves, and the startup hook ran: django_asyncx's application served it
        # (Django's own runs no startup hooks, and the view would answer 503).
        assert (status, headers["Server"]) == (200, "daphne"), body
        assert json.loads(body)["status"] == "ok"
        status, _, body = get(port, "/")
        assert status == 200, body
        status, _, body = get(port, "/admin/login/")
        assert status == 200
        assert ADMIN_CSS.encode() in body
        status, headers, body = get(port, ADMIN_CSS)
        assert (status, headers["Content-Type"]) == (200, "text/css")
        assert body == admin_css()
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "Starting ASGI/Daphne" in output, output
    assert "Traceback" not in output, output


def admin_css() -> bytes:
    import django.contrib.admin

    return (Path(django.contrib.admin.__file__).parent / "static/admin/css/base.css").read_bytes()


@pytest.mark.servers
@pytest.mark.parametrize("server", ["uvicorn", "granian"])
def test_static_files_in_development_come_from_the_apps_and_are_looked_up_again(project, server):
    # Under uvicorn or granian with DEBUG, the WhiteNoise drop-in serves what the static
    # files finders find: no collectstatic, and a file added or changed while the server
    # runs is served as it now is.
    site = project / "library" / "static" / "library"
    with LiveServer(
        "step2.asgi:application", server=server, cwd=project, ready_path="/health/",
        env=env("step6"),
    ) as live:  # fmt: skip
        # (tests/middleware/test_whitenoise_servers.py serves the admin's files, in
        # development and production, and counts their hops.)
        assert live.get("/health/").json()["status"] == "ok"
        site_css = live.get("/static/library/site.css")
        assert site_css.body == (site / "site.css").read_bytes()
        added = site / f"added-{server}.css"
        assert live.get(f"/static/library/{added.name}").status == 404
        added.write_text("h1 { color: teal; }\n")
        response = live.get(f"/static/library/{added.name}")
        assert (response.status, response.body) == (200, b"h1 { color: teal; }\n")
        added.write_text("h1 { color: navy; }\n")
        assert live.get(f"/static/library/{added.name}").body == b"h1 { color: navy; }\n"
    assert "Traceback" not in live.output, live.output
