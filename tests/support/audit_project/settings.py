"""A small project as users have one: the admin, a sync and an async view, a third-party-style
sync middleware; ``AUDIT_MIDDLEWARE=django`` keeps Django's middleware, else the drop-ins."""

import os
import tempfile

from django_asyncx.middleware import async_native

SECRET_KEY = "audit-project-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["shop.example.org"]
ROOT_URLCONF = "tests.support.audit_project.urls"
WSGI_APPLICATION = "tests.support.audit_project.wsgi.application"
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django_asyncx",
]
_DJANGO = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
MIDDLEWARE = _DJANGO if os.environ.get("AUDIT_MIDDLEWARE") == "django" else async_native(_DJANGO)
if os.environ.get("AUDIT_SYNC_MIDDLEWARE"):
    MIDDLEWARE.append("tests.support.views_app.sync_middleware.OldStyle")
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.path.join(tempfile.gettempdir(), "asyncx-audit-project.sqlite3"),
    }
}
