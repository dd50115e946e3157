"""A project with the health view, SSE, WebSocket and a blocking view, for the live tests."""

SECRET_KEY = "observability-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["django_asyncx"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "tests.support.observability_site.urls"
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True
# The watchdog on, with a threshold a sleep in a view exceeds for sure.
ASYNCX = {"LOOP_BLOCK_WARN_MS": 50}
LOGGING = {"version": 1, "loggers": {"django_asyncx.watchdog": {"level": "ERROR"}}}
