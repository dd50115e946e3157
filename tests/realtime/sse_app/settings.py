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
            # redis-py 8 gives every connection a 5 s read timeout by default; the layer's
            # receive blocks in Redis for up to 5 s, so an idle consumer would crash with
            # "Timeout reading from" (close code 1011). No timeout, as before redis-py 8.
            "CONFIG": {"hosts": [{"address": os.environ["REDIS_URL"], "socket_timeout": None}]},
        }
    }
