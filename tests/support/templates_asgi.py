"""ASGI entry serving the test suite's URLs (tests.settings), for live-server template tests."""

import os

from django_asyncx.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

application = get_asgi_application()
