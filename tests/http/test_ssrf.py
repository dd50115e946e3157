"""The SSRF guard: private destinations are refused after resolution and on redirects."""

import ipaddress

import pytest
from aiohttp import web

from django_asyncx.exceptions import BlockedDestination, UpstreamError
from django_asyncx.http import get_client
from django_asyncx.http.ssrf import Guard, GuardedResolver, address_refusal
from django_asyncx.testing.upstream import Upstream


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::ffff:127.0.0.1", "loopback"),
        ("100.64.0.1", "not globally routable"),
        ("93.184.216.34", None),
        ("2606:4700:4700::1111", None),
    ],
)
def test_address_refusal_reasons(address, reason):
    assert address_refusal(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize(
    ("url", "host", "reason"),
    [
        ("http://127.0.0.1:{port}/", "127.0.0.1", "loopback"),
        ("http://[::1]:{port}/", "::1", "loopback"),
        ("http://10.0.0.1:{port}/", "10.0.0.1", "private"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254", "link-local"),
        ("http://localhost:{port}/", "localhost", "loopback"),
    ],
)
async def test_a_default_client_refuses_private_destinations(upstream, url, host, reason):
    upstream.route("/", text="secret")
    url = url.format(port=upstream.port)
    with pytest.raises(BlockedDestination) as info:
        await get_client().get(url)
    assert info.value.host == host
    assert info.value.reason == reason
    assert host in str(info.value)
    assert "allowed_hosts" in str(info.value)
    assert isinstance(info.value, PermissionError)
    assert upstream.request_count == 0  # refused before connecting


async def test_a_hostname_is_checked_on_the_address_it_resolved_to(upstream):
    with pytest.raises(BlockedDestination, match=r"localhost \(resolved to 127\.0\.0\.1\)"):
        await get_client().get(f"http://localhost:{upstream.port}/")


async def test_the_resolver_refuses_an_answer_with_a_refused_address():
    resolver = GuardedResolver(Guard())
    try:
        with pytest.raises(BlockedDestination):
            await resolver.resolve("localhost", 80)
        allowed = GuardedResolver(Guard(("localhost",)))
        assert {r["host"] for r in await allowed.resolve("localhost", 80)} & {"127.0.0.1", "::1"}
    finally:
        await resolver.close()


async def test_allowed_hosts_by_name_and_by_network(upstream):
    upstream.route("/", text="internal")
    with upstream.override_clients("byname", allow_private=False, allowed_hosts=["localhost"]):
        client = get_client("byname")
        assert (await client.get(f"http://localhost:{upstream.port}/")).text() == "internal"
        with pytest.raises(BlockedDestination):
            await client.get(f"http://127.0.0.1:{upstream.port}/")
    with upstream.override_clients("bynet", allow_private=False, allowed_hosts=["127.0.0.0/8"]):
        assert (await get_client("bynet").get("/")).text() == "internal"


async def test_a_redirect_to_loopback_is_refused(upstream):
    upstream.route("/go", status=302, headers={"Location": upstream.url_for("/secret")})
    upstream.route("/secret", text="secret")
    # The client may reach "localhost" by name only; the redirect goes to 127.0.0.1.
    with (
        upstream.override_clients("default", allow_private=False, allowed_hosts=["localhost"]),
        pytest.raises(BlockedDestination) as info,
    ):
        await get_client().get(f"http://localhost:{upstream.port}/go")
    assert info.value.host == "127.0.0.1"
    assert [r.path for r in upstream.requests] == ["/go"]


async def test_redirects_are_followed_and_authorization_dropped_across_hosts(upstream):
    upstream.route("/a", status=301, headers={"Location": "/b"})
    upstream.route("/b", status=307, headers={"Location": upstream.url_for("/c")})
    upstream.route("/c", text="done")
    with upstream.override_clients("default", base_url=f"http://localhost:{upstream.port}"):
        response = await get_client().get("/a", headers={"Authorization": "Bearer t"})
    assert response.text() == "done"
    assert response.url == upstream.url_for("/c")
    paths = [(r.path, r.headers.get("Authorization")) for r in upstream.requests]
    assert paths == [("/a", "Bearer t"), ("/b", "Bearer t"), ("/c", None)]


async def test_a_303_after_post_becomes_a_get(upstream):
    upstream.route("/form", status=303, headers={"Location": "/result"})
    upstream.route("/result", text="ok")
    with upstream.override_clients("default"):
        await get_client().post("/form", data=b"x=1")
    assert [(r.method, r.path, r.body) for r in upstream.requests] == [
        ("POST", "/form", b"x=1"),
        ("GET", "/result", b""),
    ]


async def test_redirects_are_limited(upstream):
    async def loop(request):
        raise web.HTTPFound("/loop")

    upstream.route("/loop", loop)
    with (
        upstream.override_clients("default", max_redirects=3),
        pytest.raises(UpstreamError, match="max_redirects=3"),
    ):
        await get_client().get("/loop")
    assert upstream.request_count == 4


async def test_a_redirect_to_another_scheme_is_refused(upstream):
    upstream.route("/file", status=302, headers={"Location": "file:///etc/passwd"})
    with upstream.override_clients("default"), pytest.raises(BlockedDestination, match="file"):
        await get_client().get("/file")


async def test_max_redirects_zero_returns_the_redirect(upstream):
    upstream.route("/a", status=302, headers={"Location": "/b"})
    with upstream.override_clients("default", max_redirects=0):
        response = await get_client().get("/a")
    assert response.status == 302
    assert response.headers["Location"] == "/b"


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("2002:7f00:1::", "loopback (6to4 of 127.0.0.1)"),
        ("2002:a9fe:a9fe::1", "link-local (6to4 of 169.254.169.254)"),
        ("64:ff9b::7f00:1", "loopback (NAT64 of 127.0.0.1)"),
        ("64:ff9b::a9fe:a9fe", "link-local (NAT64 of 169.254.169.254)"),
        # Teredo: server 65.54.227.120, client 127.0.0.1 stored inverted (0x80ff:fffe).
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback (Teredo of 127.0.0.1)"),
    ],
)
async def test_ipv6_addresses_embedding_a_refused_ipv4_address_are_refused(
    upstream, address, reason
):
    assert address_refusal(ipaddress.ip_address(address)) == reason
    with pytest.raises(BlockedDestination) as info:
        await get_client().get(f"http://[{address}]:{upstream.port}/", timeout=2, retries=0)
    assert info.value.reason == reason
    assert upstream.request_count == 0


async def test_a_bare_allowed_host_allows_every_port_of_that_host(upstream):
    with Upstream() as other:
        other.route("/landed", text="other port")
        upstream.route("/go", status=302, headers={"Location": other.url_for("/landed")})
        with upstream.override_clients("default", allow_private=False, allowed_hosts=["127.0.0.1"]):
            assert (await get_client().get("/go")).text() == "other port"


async def test_a_host_port_entry_allows_that_port_only_redirects_included(upstream):
    upstream.route("/", text="allowed port")
    with Upstream() as other:
        other.route("/landed", text="other port")
        upstream.route("/go", status=302, headers={"Location": other.url_for("/landed")})
        entries = [f"127.0.0.1:{upstream.port}", f"localhost:{upstream.port}"]
        with upstream.override_clients("default", allow_private=False, allowed_hosts=entries):
            client = get_client()
            assert (await client.get("/")).text() == "allowed port"
            local = f"http://localhost:{upstream.port}/"
            assert (await client.get(local)).text() == "allowed port"
            with pytest.raises(BlockedDestination) as info:
                await client.get("/go")
            with pytest.raises(BlockedDestination):
                await client.get(f"http://localhost:{other.port}/landed")
        assert info.value.host == "127.0.0.1"
        assert other.request_count == 0


async def test_an_ipv6_host_port_entry(upstream):
    with Upstream(host="::1") as v6:
        v6.route("/", text="v6")
        with v6.override_clients(
            "default", allow_private=False, allowed_hosts=[f"[::1]:{v6.port}"]
        ):
            assert (await get_client().get("/")).text() == "v6"
            with pytest.raises(BlockedDestination):
                await get_client().get(f"http://[::1]:{upstream.port}/")
