"""Settings of the lifespan test project: ``tests.support.lifespan_project.settings``."""

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
ROOT_URLCONF = "tests.support.lifespan_project.urls"
INSTALLED_APPS = ["django_asyncx"]
MIDDLEWARE: list[str] = []
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True
ASYNCX = {
    "LIFESPAN": [
        "tests.support.lifespan_project.hooks",
        "tests.support.lifespan_project.hooks.around",
    ]
}
