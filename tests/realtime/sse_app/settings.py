"""A minimal project serving server-sent events, for the live SSE tests."""

import os

SECRET_KEY = "sse-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["django_asyncx"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "tests.realtime.sse_app.urls"
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
if os.environ.get("REDIS_URL"):
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [os.environ["REDIS_URL"]]},
        }
    }
