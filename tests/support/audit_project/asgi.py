"""The project's ASGI entry, on django_asyncx (``AUDIT_STOCK=1``: still Django's)."""

import os

if os.environ.get("AUDIT_STOCK"):
    from django.core.asgi import get_asgi_application
else:
    from django_asyncx.asgi import get_asgi_application

application = get_asgi_application()
