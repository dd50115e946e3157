"""The realtime recipe: a balance pushed to a WebSocket consumer and to an event stream."""

import importlib.util
import json
from pathlib import Path

import pytest
from asgiref.testing import ApplicationCommunicator
from bank.models import Account
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.test import override_settings
from django.urls import path

from django_asyncx.handler import ASGIHandler

COOKBOOK = Path(__file__).resolve().parent.parent.parent / "docs" / "cookbook"
IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

pytestmark = pytest.mark.django_db(transaction=True)


def recipe(name):
    spec = importlib.util.spec_from_file_location(f"cookbook_{name}", COOKBOOK / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def balance():
    module = recipe("realtime_balance")
    with override_settings(CHANNEL_LAYERS=IN_MEMORY, ROOT_URLCONF=module, MIDDLEWARE=[]):
        yield module


async def test_the_consumer_gets_the_balance_on_connect_and_after_each_change(balance):
    account = await Account.objects.acreate(owner="ann", balance=100)
    app = URLRouter([path("ws/balance/<int:pk>/", balance.BalanceConsumer.as_asgi())])
    ws = WebsocketCommunicator(app, f"/ws/balance/{account.pk}/")
    assert (await ws.connect())[0]
    assert json.loads(await ws.receive_from()) == {"balance": 100}
    account.balance = 75
    await balance.balance_changed(account)
    assert json.loads(await ws.receive_from()) == {"balance": 75}
    await ws.disconnect()


async def test_the_event_stream_starts_with_the_balance_and_follows_it_until_the_client_leaves(
    balance,
):
    account = await Account.objects.acreate(owner="bob", balance=900)
    scope = {"type": "http", "method": "GET", "path": f"/balance/{account.pk}/events/",
             "query_string": b"", "headers": [(b"host", b"testserver")]}  # fmt: skip
    stream = ApplicationCommunicator(ASGIHandler(), scope)
    await stream.send_input({"type": "http.request", "body": b""})
    start = await stream.receive_output(5)
    assert start["status"] == 200
    assert (b"Content-Type", b"text/event-stream") in start["headers"]

    async def body():
        return (await stream.receive_output(5))["body"]

    assert await body() == b"retry: 3000\n\n"
    assert await body() == b'event: balance\ndata: {"balance": 900}\n\n'
    account.balance = 850
    await balance.balance_changed(account)
    assert await body() == b'event: balance\ndata: {"balance": 850}\n\n'
    layer_groups = balance.get_channel_layer().groups
    assert len(layer_groups[balance.group(account.pk)]) == 1
    await stream.send_input({"type": "http.disconnect"})
    await stream.wait(5)
    assert not layer_groups.get(balance.group(account.pk))  # left the group with the client
