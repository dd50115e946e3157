"""bench/realtime: every step at a tiny scale on real servers and Redis; the counts it reports.

One run of the whole benchmark (20 connections, 2 churn rounds, 10 subscribers) on uvicorn and
daphne; the tests read its result. No timing is asserted: connections opened, threads, the
group's members in Redis, tasks and fds back to the baseline, messages received.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bench import realtime

N = 20


@pytest.fixture(scope="module")
def results_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("results")


@pytest.fixture(scope="module")
def result(results_dir: Path) -> Iterator[dict[str, Any]]:
    from django_asyncx.testing import services

    url = services.redis_url()
    if url is None:
        services.service_unavailable("Redis is not running at the configured URL")
    if shutil.which("taskset") is None:
        services.service_unavailable("taskset is not installed (apt-get install util-linux)")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(realtime, "REDIS_URL", url)
        patch.setattr(realtime, "SETTLE_S", 0.2)
        yield realtime.run(SimpleNamespace(results_dir=results_dir), realtime.Scale(N, N, 2, 10, 2))


def test_every_websocket_target_holds_the_connections(result: dict[str, Any]) -> None:
    rows = {row["key"]: row for row in result["websockets"]}
    assert list(rows) == [t.key for t in realtime.WS_TARGETS]
    for row in rows.values():
        assert (row["opened"], row["failed"]) == (N, 0), row
        assert row["after"]["fds"] >= row["before"]["fds"] + N, row


def test_only_djangos_streams_take_a_thread_each(result: dict[str, Any]) -> None:
    rows = {row["key"]: row for row in result["streams"]}
    for row in rows.values():
        assert (row["opened"], row["failed"]) == (N, 0), row
    # Django's handler keeps a thread per request open, whatever the iterator.
    for key in ("django-sync", "django-async"):
        assert rows[key]["after"]["threads"] >= rows[key]["before"]["threads"] + N
    assert rows["ours"]["after"]["threads"] == rows["ours"]["before"]["threads"]


def test_churn_leaves_no_member_task_or_fd(result: dict[str, Any]) -> None:
    assert [row["key"] for row in result["churn"]] == ["plain", "ours"]
    for row in result["churn"]:
        assert [p["opened"] for p in row["rounds"]] == [N, N]
        assert [p["members"] for p in row["rounds"]] == [0, 0]
        assert row["stale_members"] == 0
        assert row["tasks_over_baseline"] == 0
        assert row["fds_over_baseline"] == 0


def test_broadcast_reaches_every_subscriber(result: dict[str, Any]) -> None:
    for row in result["broadcast"]:
        assert row["missing"] == 0
        assert row["samples"] == 10 * 2
        assert row["p50_ms"] <= row["p99_ms"] <= row["max_ms"]


def test_the_result_is_written_and_reported(result: dict[str, Any], results_dir: Path) -> None:
    text = realtime.report(result)
    assert text.count("\n  target") == 4
    assert "ours, EventStream" in text
    written = json.loads(next(results_dir.glob("realtime-*.json")).read_text())
    assert written["scale"]["connections"] == N


def test_the_scale_fits_the_fd_limit() -> None:
    scale = realtime.fit(realtime.Scale(connections=10**9))
    assert scale.connections < 10**9
    assert scale.churn == 2_000
    assert len(scale.notes) == 1
