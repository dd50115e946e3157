"""Group joins and leaves under mass connect and disconnect, on a real Redis with a small pool.

channels-redis's client pool refuses a command past its size ("Too many connections")
instead of waiting: with a pool of 4 connections, 40 consumers connecting and going away at
once make Channels' own consumer fail some handshakes or leave members in the group. Ours
bounds and retries the group operations: every handshake succeeds and the group ends empty.
"""

import asyncio
import uuid

import pytest
import redis.asyncio
from asgiref.testing import ApplicationCommunicator
from channels.generic.websocket import AsyncWebsocketConsumer as ChannelsConsumer
from django.test import override_settings

from django_asyncx.consumers import AsyncWebsocketConsumer

CONSUMERS = 40


class ChannelsMember(ChannelsConsumer):
    groups = ["room"]


class OurMember(AsyncWebsocketConsumer):
    groups = ["room"]


async def connect(app) -> ApplicationCommunicator | None:
    communicator = ApplicationCommunicator(app, {"type": "websocket", "path": "/", "headers": []})
    await communicator.send_input({"type": "websocket.connect"})
    try:
        accepted = (await communicator.receive_output(10))["type"] == "websocket.accept"
    except Exception:  # the consumer raised: its handshake failed
        return None
    return communicator if accepted else None


async def disconnect(communicator: ApplicationCommunicator) -> bool:
    try:
        await communicator.send_input({"type": "websocket.disconnect", "code": 1000})
        await communicator.wait(10)
    except Exception:  # the consumer raised, while leaving or before
        return False
    return True


async def crowd(consumer, redis_url: str) -> tuple[int, int, int, int]:
    """Connect then disconnect CONSUMERS at once: (accepted, members, left cleanly, members)."""
    prefix = f"groups{uuid.uuid4().hex[:8]}"
    layers = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": redis_url, "max_connections": 4}], "prefix": prefix},
        }
    }
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        with override_settings(CHANNEL_LAYERS=layers):
            app = consumer.as_asgi()
            opened = await asyncio.gather(*(connect(app) for _ in range(CONSUMERS)))
            accepted = [c for c in opened if c is not None]
            joined = await client.zcard(f"{prefix}:group:room")
            left = await asyncio.gather(*(disconnect(c) for c in accepted))
            remaining = await client.zcard(f"{prefix}:group:room")
            from channels.layers import get_channel_layer

            await get_channel_layer().flush()
    finally:
        await client.aclose()
    return len(accepted), joined, sum(left), remaining


async def test_our_consumer_joins_and_leaves_under_a_crowd(asyncx_redis_url):
    assert await crowd(OurMember, asyncx_redis_url) == (CONSUMERS, CONSUMERS, CONSUMERS, 0)


async def test_channels_own_consumer_fails_under_the_same_crowd(asyncx_redis_url):
    # What the test above guards against: without bounds, the small pool refuses commands.
    accepted, _, left, remaining = await crowd(ChannelsMember, asyncx_redis_url)
    assert accepted < CONSUMERS or left < accepted or remaining > 0


async def test_our_consumer_joins_and_leaves_on_the_in_memory_layer():
    from channels.layers import get_channel_layer

    in_memory = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    with override_settings(CHANNEL_LAYERS=in_memory):
        communicator = await connect(OurMember.as_asgi())
        assert communicator is not None
        assert len(get_channel_layer().groups["room"]) == 1
        assert await disconnect(communicator)
        assert "room" not in get_channel_layer().groups


class FailingMember(AsyncWebsocketConsumer):
    groups = ["room"]

    async def receive(self, text_data=None, bytes_data=None):
        raise RuntimeError("the handler failed")


async def test_a_consumer_that_fails_leaves_its_groups():
    from channels.layers import get_channel_layer

    in_memory = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    with override_settings(CHANNEL_LAYERS=in_memory):
        communicator = await connect(FailingMember.as_asgi())
        assert communicator is not None
        assert len(get_channel_layer().groups["room"]) == 1
        await communicator.send_input({"type": "websocket.receive", "text": "boom"})
        with pytest.raises(RuntimeError, match="the handler failed"):
            await communicator.wait(5)
        assert "room" not in get_channel_layer().groups
