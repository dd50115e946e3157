"""ASGI entry point: Django's own, as ``startproject`` writes it."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "step0.settings")

application = get_asgi_application()
