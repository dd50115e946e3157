"""Recipe: a MiddlewareMixin middleware declared loop-safe runs its hooks with no hop."""

from django.utils.deprecation import MiddlewareMixin

from django_asyncx.middleware.chain import loop_safe


@loop_safe  # its hooks only read and write headers: safe on the event loop
class RequestIdMiddleware(MiddlewareMixin):
    def process_request(self, request):
        request.request_id = request.headers.get("X-Request-Id", "none")

    def process_response(self, request, response):
        response["X-Request-Id"] = request.request_id
        return response


# A third-party class you cannot decorate: name it in settings.py instead.
ASYNCX = {
    "LOOP_SAFE_MIDDLEWARE": ["thirdparty.middleware.HeaderMiddleware"],
}


async def demo():
    """Run the recipe: the hooks run, on the loop: no thread hop."""
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

    middleware = [f"{__name__}.RequestIdMiddleware"]
    with override_settings(ROOT_URLCONF=URLs, MIDDLEWARE=middleware), count_hops() as hops:
        result = await arequest(ASGIHandler(), "GET", "/", headers={"X-Request-Id": "r1"})
    assert (result.status, result.header("x-request-id"), hops.count) == (200, "r1", 0)
