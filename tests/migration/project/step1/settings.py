"""Step 1: django_asyncx installed, for ``manage.py asyncx_audit``; nothing else changed."""

from step0.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "django_asyncx"]  # noqa: F405
