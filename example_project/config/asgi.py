"""ASGI entry of the example project, served with django_asyncx's lifespan-aware application.

uvicorn config.asgi:application
"""

import os

from django_asyncx.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_asgi_application()
