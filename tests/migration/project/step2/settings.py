"""Step 2: asgi.py serves django_asyncx's application."""

from step1.settings import *  # noqa: F403

ASGI_APPLICATION = "step2.asgi.application"
