"""Channels' router in front of django_asyncx's application."""

from channels.routing import ProtocolTypeRouter

from django_asyncx.asgi import get_asgi_application

application = ProtocolTypeRouter({"http": get_asgi_application()})
