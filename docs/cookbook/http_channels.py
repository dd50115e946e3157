"""Recipe: call an HTTP service from a Channels consumer.

Consumers run on the same event loop as views, so ``get_client()`` gives them the same
pooled session; there is no request, so no ``request.http``: name the client. Each message
is one call here; a slow upstream delays only this socket's answers.

    # asgi.py
    application = get_asgi_application(websocket=URLRouter([
        path("ws/weather/", WeatherConsumer.as_asgi()),
    ]))
"""

from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from django_asyncx.exceptions import UpstreamError
from django_asyncx.http import get_client


class WeatherConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    """Answers ``{"city": ...}`` with the weather service's forecast, or an error."""

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        try:
            response = await get_client("weather").get(
                "forecast", params={"city": content["city"]}, timeout=3
            )
        except UpstreamError as exc:
            await self.send_json({"error": type(exc).__name__})
            return
        await self.send_json({"city": content["city"], "forecast": response.json()})
