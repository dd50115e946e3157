"""Stock Django's WSGI entry, served by gunicorn as the sync baseline."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.project.settings")

application = get_wsgi_application()
