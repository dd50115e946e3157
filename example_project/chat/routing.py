"""The chat's websocket routes and the websocket application served by ``config.asgi``."""

from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path, re_path

from django_asyncx.consumers import AuthMiddlewareStack

from . import consumers

websocket_urlpatterns = [
    re_path(r"^ws/chat/(?P<room>[\w-]{1,50})/$", consumers.ChatConsumer.as_asgi()),
    path("ws/<path:rest>", consumers.UnknownRoomConsumer.as_asgi()),
]

websocket_application = AllowedHostsOriginValidator(
    AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
)
