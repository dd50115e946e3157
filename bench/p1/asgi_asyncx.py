"""django_asyncx's ASGI entry."""

import os

from django_asyncx.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.p1.settings")

application = get_asgi_application()
