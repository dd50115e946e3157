"""ASGI entry point: django_asyncx's application."""

import os

from django_asyncx.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "step2.settings")

application = get_asgi_application()
