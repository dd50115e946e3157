"""URLs for in-process tests."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path


async def hello(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"hello": "world", "method": request.method})


urlpatterns = [
    path("hello/", hello),
    path("testapp/", include("tests.support.testapp.urls")),
    path("templates/", include("tests.support.template_support")),
    path("bank/", include("bank.urls")),
    path("aggregator/", include("aggregator.urls")),
]
