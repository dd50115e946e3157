"""ASGI entry of the example project, served with django_asyncx's lifespan-aware application.

uvicorn config.asgi:application

``application`` takes the chat's websocket application directly; ``channels_application`` is
the same project written as Channels' tutorial writes it, ``ProtocolTypeRouter`` outermost
(wrapped so that lifespan hooks still run first): serve either.
"""

import os

from channels.routing import ProtocolTypeRouter

from django_asyncx.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

django_asgi_app = get_asgi_application()

# The consumers import models: only once Django is set up.
from chat.routing import websocket_application  # noqa: E402

application = get_asgi_application(websocket=websocket_application)

channels_application = django_asgi_app.wrap(
    ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket_application})
)
