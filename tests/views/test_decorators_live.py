"""limit_concurrency over a real server: 50 concurrent requests, exactly 45 refused."""

import json
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.mark.servers
@pytest.mark.parametrize("server", ["uvicorn", "hypercorn"])
def test_limit_concurrency_under_50_concurrent_requests_over_a_live_server(
    asyncx_live_server_factory, server
):
    live = asyncx_live_server_factory(
        "tests.support.views_app.live_asgi:application",
        server=server,
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "tests.support.views_app.live_settings"},
        ready_path="/entered/",
    )
    with ThreadPoolExecutor(max_workers=50) as pool:
        futures = [pool.submit(live.get, "/gated/") for _ in range(50)]
        finished = []
        for future in as_completed(futures):
            finished.append(future.result())
            if len(finished) == 45:
                break
        # 45 answered at once; the 5 that got a slot are held in the view.
        assert sorted(r.status for r in finished) == [503] * 45
        assert json.loads(live.get("/entered/").body) == {"entered": 5}
        assert live.get("/release/").status == 200
        results = [future.result() for future in futures]
    statuses = sorted(r.status for r in results)
    assert statuses == [200] * 5 + [503] * 45
    assert {r.headers.get("retry-after") for r in results if r.status == 503} == {"1"}
