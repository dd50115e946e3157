"""The ASGI application of the live-server project."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.support.views_app.live_settings")

from django_asyncx.asgi import get_asgi_application

application = get_asgi_application()
