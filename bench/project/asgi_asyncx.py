"""django_asyncx's ASGI entry: ``django_asyncx.asgi.get_asgi_application()``."""

import os

from django_asyncx.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.project.settings")

application = get_asgi_application()
