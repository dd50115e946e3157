"""Recipe: sync middleware kept next to each other share one thread hop per request."""

from django.utils.deprecation import MiddlewareMixin

from django_asyncx.middleware import async_native


class AuditLogMiddleware(MiddlewareMixin):
    """Writes to a log file: blocking I/O, so it must run in a thread."""

    def process_response(self, request, response):
        response["X-Audited"] = "yes"
        return response


class LegacyMiddleware:
    """An old-style, sync-only middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)


MIDDLEWARE = async_native(
    [
        "django.middleware.security.SecurityMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.common.CommonMiddleware",
        # The two sync ones together: one hop for both, request down and response up.
        f"{__name__}.AuditLogMiddleware",
        f"{__name__}.LegacyMiddleware",
    ]
)


async def demo():
    """Run the recipe: the two sync middleware cost one hop, not three."""
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

    with override_settings(ROOT_URLCONF=URLs, MIDDLEWARE=MIDDLEWARE), count_hops() as hops:
        result = await arequest(ASGIHandler(), "GET", "/")
    assert (result.status, result.header("x-audited")) == (200, "yes")
    # One for the run; request_finished's cleanup in the thread the run made: one more.
    assert [hop.name for hop in hops.hops] == [
        "AuditLogMiddleware.__call__",
        "send_signal.<locals>.run_sync",
    ]
