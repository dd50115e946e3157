"""ASGI entry of the PgBouncer test project."""

import os

from django_asyncx.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.support.pgbouncer_project.settings")

application = get_asgi_application()
