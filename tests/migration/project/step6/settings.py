"""Step 6: the development server (``runserver`` through Daphne) and static files (WhiteNoise)."""

from step5.settings import *  # noqa: F403

# First, so that its runserver (serving ASGI_APPLICATION) replaces Django's.
INSTALLED_APPS = ["daphne", *INSTALLED_APPS]  # noqa: F405

MIDDLEWARE = [
    "django_asyncx.middleware.SecurityMiddleware",
    # Static files under uvicorn or granian, served from the loop; with DEBUG, from the apps'
    # static folders (no collectstatic) and looked up again on each request.
    "django_asyncx.middleware.WhiteNoiseMiddleware",
    *MIDDLEWARE[1:],  # noqa: F405
]

ASYNCX = {**ASYNCX, "LIFESPAN": ["step6.lifespan"]}  # noqa: F405

ROOT_URLCONF = "step6.urls"
