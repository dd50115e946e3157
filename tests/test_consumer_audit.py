"""The audit of websocket routes and consumers: sync or async, which database_sync_to_async,
the auth stack, through each way of writing ``asgi.py``; and its hops per message are the
ones counted through a real consumer.
"""

from io import StringIO

import pytest
from channels.generic.websocket import AsyncWebsocketConsumer as ChannelsAsyncConsumer
from channels.generic.websocket import WebsocketConsumer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.core.management import call_command
from django.test import override_settings
from django.urls import path

from django_asyncx.audit import run_audit
from django_asyncx.consumer_audit import consumer_findings
from django_asyncx.consumers import AsyncWebsocketConsumer
from django_asyncx.hops import CountingApplication
from tests.support.audit_project import consumers

PROJECT = "tests.support.audit_project.consumers"
IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
DB_FIX = (
    "decorate with django_asyncx.consumers.database_sync_to_async (the DB bridge: a bounded "
    "pool, no thread on the native engine)"
)


def by_route(findings):
    return {f.name: f for f in findings if f.kind == "consumer"}


def test_sync_consumers_channels_helpers_and_channels_auth_are_reported_with_their_fixes():
    findings = consumer_findings(consumers.application)
    [stack] = [f for f in findings if f.kind == "websocket"]
    assert stack.name == "OriginValidator > CookieMiddleware > SessionMiddleware > AuthMiddleware"
    assert (stack.hops, stack.fix) == (
        1,
        "use django_asyncx.consumers.AuthMiddlewareStack: it loads the user through the DB bridge",
    )
    routes = by_route(findings)
    assert list(routes) == ["ws/sync/", "ws/json/", "ws/channels/", "raw/"]
    for route, name in [("ws/sync/", "SyncEcho"), ("ws/json/", "SyncJson")]:
        assert (
            routes[route].detail
            == f"{PROJECT}.{name}: sync: each message handled in a worker thread"
        )
        assert routes[route].hops == 1
        assert routes[route].fix.startswith("make it async: derive from django_asyncx.consumers.")
    channels = routes["ws/channels/"]
    helpers = "ChannelsChat.names, channels_database_sync_to_async() inline, channels_groups"
    assert channels.detail == (
        f"{PROJECT}.ChannelsChat: async on Channels' base: close_old_connections() in a thread "
        f"before each message; Channels' database_sync_to_async (a thread hop per call): {helpers}"
    )
    assert channels.hops == 1
    assert channels.fix.endswith(f"; {helpers}: {DB_FIX}")
    assert (
        routes["raw/"].detail
        == f"{PROJECT}.raw_websocket: an ASGI application, not a Channels consumer"
    )


@pytest.mark.parametrize("app", ["router_application", "bare_router"])
def test_django_asyncx_consumers_behind_a_channels_router_cost_no_hop_per_message(app):
    findings = consumer_findings(getattr(consumers, app))
    [stack] = [f for f in findings if f.kind == "websocket"]
    assert (stack.name, stack.hops) == ("CookieMiddleware > SessionMiddleware > AuthMiddleware", 0)
    assert stack.detail == "django_asyncx's AuthMiddleware: the user loaded through the DB bridge"
    routes = by_route(findings)
    assert routes["bridge/"].detail == (
        f"{PROJECT}.BridgeChat: async, django_asyncx's: no thread hop per message; "
        "django_asyncx's database_sync_to_async (DB bridge): bridge_groups"
    )
    assert (routes["bridge/"].hops, routes["bridge/"].fix) == (0, "")
    # The consumer is hop-free, one helper it calls is not: that one is named, with its fix.
    assert "Channels' database_sync_to_async (a thread hop per call): channels_groups" in (
        routes["halfway/"].detail
    )
    assert routes["halfway/"].fix == f"channels_groups: {DB_FIX}"


def test_an_application_without_websockets_has_no_consumer_findings():
    assert consumer_findings(consumers.django_asgi_app) == []


def test_the_command_lists_the_consumers_of_the_projects_application():
    out = StringIO()
    call_command("asyncx_audit", "--asgi", f"{PROJECT}:application", stdout=out)
    text = out.getvalue()
    assert "WebSocket routes and consumers (thread hops per message)" in text
    assert f" ! ws/sync/: {PROJECT}.SyncEcho: sync: each message handled in a worker thread" in text
    assert "     -> use django_asyncx.consumers.AuthMiddlewareStack" in text
    audit = run_audit(asgi=f"{PROJECT}:router_application")
    assert [f.name for f in audit.of("consumer")] == ["bridge/", "halfway/"]


class SyncEcho(WebsocketConsumer):
    def receive(self, text_data=None, bytes_data=None):
        self.send(text_data=text_data)


class ChannelsEcho(ChannelsAsyncConsumer):
    async def receive(self, text_data=None, bytes_data=None):
        await self.send(text_data=text_data)


class AsyncxEcho(AsyncWebsocketConsumer):
    async def receive(self, text_data=None, bytes_data=None):
        await self.send(text_data=text_data)


@pytest.mark.parametrize("consumer", [SyncEcho, ChannelsEcho, AsyncxEcho])
async def test_the_hops_per_message_the_audit_reports_are_the_ones_counted(consumer):
    router = URLRouter([path("ws/", consumer.as_asgi())])
    [finding] = consumer_findings(router)[1:]
    counted = CountingApplication(router)
    with override_settings(CHANNEL_LAYERS=IN_MEMORY):
        ws = WebsocketCommunicator(counted, "/ws/")
        assert (await ws.connect(5))[0]
        [hops] = counted.counters
        for number in range(3):
            hops.clear()
            await ws.send_to(text_data=f"echo {number}")
            assert await ws.receive_from(5) == f"echo {number}"
            assert hops.count == finding.hops, (finding, hops.hops)
        await ws.disconnect()
