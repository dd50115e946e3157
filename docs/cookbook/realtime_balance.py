"""Recipe: push an account's balance to its browsers, by WebSocket and by server-sent events.

A transfer calls ``await balance_changed(account)``; every consumer and every event stream
following that account gets the new balance at once, whichever process it is connected to
(with ``channels_redis`` as the channel layer). The consumer reads the database through the
DB bridge (no thread on the native engine); the stream starts with the current balance once
it has joined the group, so nothing sent in between is missed.

    # asgi.py
    application = get_asgi_application(websocket=AuthMiddlewareStack(URLRouter([
        path("ws/balance/<int:pk>/", BalanceConsumer.as_asgi()),
    ])))
    # urls.py
    urlpatterns = [path("balance/<int:pk>/events/", balance_events)]
"""

from typing import Any

from bank.models import Account
from channels.layers import get_channel_layer
from django.http import HttpRequest
from django.urls import path

from django_asyncx.consumers import AsyncWebsocketConsumer, database_sync_to_async
from django_asyncx.sse import Event, EventStream, group_events


def group(pk: int) -> str:
    return f"balance_{pk}"


@database_sync_to_async
def balance_of(pk: int) -> int:
    return Account.objects.get(pk=pk).balance


async def balance_changed(account: Account) -> None:
    """Tell every follower of ``account`` its new balance."""
    message = {"type": "balance", "pk": account.pk, "balance": account.balance}
    await get_channel_layer().group_send(group(account.pk), message)


class BalanceConsumer(AsyncWebsocketConsumer):
    """Sends ``{"balance": n}`` on connect and after every change of the account."""

    async def connect(self) -> None:
        self.pk = self.scope["url_route"]["kwargs"]["pk"]
        await self.group_add(group(self.pk))
        await self.accept()
        await self.send_balance(await balance_of(self.pk))

    async def disconnect(self, code: int) -> None:
        await self.group_discard(group(self.pk))

    async def balance(self, event: dict[str, Any]) -> None:
        await self.send_balance(event["balance"])

    async def send_balance(self, balance: int) -> None:
        await self.send(text_data=f'{{"balance": {balance}}}')


async def balance_events(request: HttpRequest, pk: int) -> EventStream:
    """The same account as ``balance`` events, for a page that only reads."""

    async def current() -> Event:
        return Event({"balance": await balance_of(pk)}, event="balance")

    def to_event(message: dict[str, Any]) -> Event:
        return Event({"balance": message["balance"]}, event="balance")

    return EventStream(group_events(group(pk), joined=current, to_event=to_event), retry=3000)


urlpatterns = [path("balance/<int:pk>/events/", balance_events)]
