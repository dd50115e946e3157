"""Settings of the live-server project that serves the limit_concurrency views."""

from django_asyncx.middleware import async_native

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "tests.support.views_app.live_urls"
INSTALLED_APPS = ["django_asyncx"]
MIDDLEWARE = async_native(
    [
        "django.middleware.security.SecurityMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
    ]
)
DATABASES: dict = {}
USE_TZ = True
