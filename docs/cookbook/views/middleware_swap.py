"""Recipe: the one-line MIDDLEWARE swap, in settings.py."""

from django_asyncx.middleware import async_native

MIDDLEWARE = async_native(
    [
        "django.middleware.security.SecurityMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
    ]
)


async def demo():
    """Run the recipe: every default is replaced; a request through them makes no hop."""
    from django.http import HttpResponse
    from django.test import override_settings
    from django.urls import path

    from django_asyncx.asgi import ASGIHandler
    from django_asyncx.hops import count_hops
    from django_asyncx.testing.client import arequest

    async def home(request):
        return HttpResponse("home")

    class URLs:
        urlpatterns = [path("", home)]

    assert all(entry.startswith("django_asyncx.middleware.") for entry in MIDDLEWARE)
    with override_settings(ROOT_URLCONF=URLs, MIDDLEWARE=MIDDLEWARE), count_hops() as hops:
        result = await arequest(ASGIHandler(), "GET", "/")
    assert (result.status, hops.count) == (200, 0)
