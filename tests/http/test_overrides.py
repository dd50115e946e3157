"""override_clients: every call of an overridden client stays on the test upstream."""

import pytest
from django.test import override_settings

from django_asyncx.exceptions import BlockedDestination
from django_asyncx.http import get_client
from django_asyncx.testing.upstream import Upstream


async def test_an_absolute_url_to_a_real_service_fails_loudly(upstream):
    upstream.route("/repos", json=[])
    with upstream.override_clients("github"):
        client = get_client("github")
        assert (await client.get("/repos")).json() == []
        for url in (
            "https://api.github.com/repos",
            "http://93.184.216.34/repos",
            "http://[2606:4700:4700::1111]/",
            "http://10.0.0.1/",
        ):
            with pytest.raises(BlockedDestination, match="override_clients") as info:
                await client.get(url, retries=0, timeout=2)
            assert info.value.reason == "not a test upstream"
    assert upstream.request_count == 1


async def test_a_client_got_before_the_override_is_overridden_too(upstream):
    upstream.route("/repos", json=["django"])
    real = {"HTTP_CLIENTS": {"github": {"base_url": "https://api.github.com"}}}
    with override_settings(ASYNCX=real):
        module_level = get_client("github")  # as a module would at import time
        with upstream.override_clients("github"):
            assert (await module_level.get("/repos")).json() == ["django"]
            with pytest.raises(BlockedDestination, match="override_clients"):
                await module_level.get("https://api.github.com/repos", retries=0, timeout=2)
    assert upstream.request_count == 1


async def test_a_redirect_from_the_upstream_to_a_real_service_fails_loudly(upstream):
    upstream.route("/go", status=302, headers={"Location": "https://api.github.com/"})
    with upstream.override_clients("default"), pytest.raises(BlockedDestination):
        await get_client().get("/go", retries=0, timeout=2)
    assert upstream.request_count == 1


async def test_other_test_upstreams_stay_reachable(upstream):
    with Upstream() as other:
        other.route("/x", text="other")
        with upstream.override_clients("default"):
            assert (await get_client().get(other.url_for("/x"))).text() == "other"
            local = f"http://localhost:{other.port}/x"
            assert (await get_client().get(local)).text() == "other"


async def test_after_the_override_the_client_is_not_confined(upstream):
    with upstream.override_clients("default"):
        pass
    # Back to the settings without the override: refused by the SSRF guard, not confined.
    with pytest.raises(BlockedDestination) as info:
        await get_client().get("http://10.0.0.1/", retries=0, timeout=2)
    assert info.value.reason == "private"
