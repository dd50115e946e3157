"""Redirects: credentials never cross to another origin, https is never downgraded."""

import ssl
import subprocess

import aiohttp.connector
import pytest

from django_asyncx.exceptions import BlockedDestination
from django_asyncx.http import get_client
from django_asyncx.testing.upstream import Upstream

CREDENTIALS = {
    "Authorization": "Bearer call-token",
    "Cookie": "session=s3cr3t",
    "Proxy-Authorization": "Basic cHJveHk=",
    "X-Api-Key": "call-key",
}


@pytest.fixture
def other():
    """A second upstream: another port on the same host is another origin."""
    with Upstream() as server:
        yield server


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_no_credential_reaches_another_port(upstream, other, status):
    upstream.route("/go", status=status, headers={"Location": other.url_for("/landed")})
    other.route("/landed", text="landed")
    with upstream.override_clients(
        "default",
        headers={"Authorization": "Bearer configured", "X-Key": "configured-key"},
        credential_headers=["X-Api-Key"],
    ):
        response = await get_client().get("/go", headers=CREDENTIALS)
    assert response.text() == "landed"
    first = upstream.requests[0].headers
    assert first["Authorization"] == "Bearer call-token"  # the call's own header wins
    assert first["X-Key"] == "configured-key"
    assert first["Cookie"] == "session=s3cr3t"
    landed = other.requests[0].headers
    for name in [*CREDENTIALS, "X-Key"]:
        assert name not in landed, name


async def test_credentials_are_kept_on_a_redirect_to_the_same_origin(upstream):
    upstream.route("/go", status=307, headers={"Location": "/landed"})
    upstream.route("/landed", text="landed")
    with upstream.override_clients("default", headers={"X-Key": "configured-key"}):
        await get_client().get("/go", headers=CREDENTIALS)
    landed = upstream.requests[1].headers
    assert landed["X-Key"] == "configured-key"
    assert {name: landed[name] for name in CREDENTIALS} == CREDENTIALS


async def test_an_unnamed_call_header_crosses_and_a_named_one_does_not(upstream, other):
    upstream.route("/go", status=302, headers={"Location": other.url_for("/landed")})
    other.route("/landed", text="landed")
    with upstream.override_clients("default", credential_headers=["X-Tenant-Secret"]):
        await get_client().get("/go", headers={"X-Tenant-Secret": "t", "X-Trace-Note": "n"})
    landed = other.requests[0].headers
    assert "X-Tenant-Secret" not in landed
    assert landed["X-Trace-Note"] == "n"


async def test_credentials_are_dropped_on_a_redirect_to_another_host_name(upstream):
    upstream.route("/go", status=302, headers={"Location": f"http://localhost:{upstream.port}/x"})
    upstream.route("/x", text="x")
    with upstream.override_clients("default", headers={"Authorization": "Bearer configured"}):
        await get_client().get("/go", headers={"Cookie": "a=b"})
    assert "Authorization" not in upstream.requests[1].headers
    assert "Cookie" not in upstream.requests[1].headers


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1, trusted by the client for this module."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True, capture_output=True,
    )  # fmt: skip
    # The client verifies certificates with aiohttp's default context: trust this one too.
    aiohttp.connector._SSL_CONTEXT_VERIFIED.load_verify_locations(cafile=str(cert))
    return cert, key


async def test_https_is_never_downgraded_to_http(certificate, other):
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    other.route("/plain", text="plain")
    # Connection: close leaves no TLS connection open when the server stops (its TLS
    # shutdown would wait for this test's loop, blocked in stop()).
    close = {"Connection": "close"}
    with Upstream(ssl_context=context) as secure:
        secure.route("/go", status=302, headers={"Location": other.url_for("/plain"), **close})
        secure.route("/ok", text="over tls", headers=close)
        with secure.override_clients("default"):
            assert (await get_client().get("/ok")).text() == "over tls"
            with pytest.raises(BlockedDestination, match="https to http") as info:
                await get_client().get("/go", headers={"Authorization": "Bearer t"})
    assert info.value.reason == "downgrade to http"
    assert other.request_count == 0
