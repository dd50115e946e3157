"""The views under test: one trivial JSON answer, as a coroutine and as a plain function."""

from django.http import HttpRequest, JsonResponse

PAYLOAD = {"message": "Hello, world!"}


async def hello_async(request: HttpRequest) -> JsonResponse:
    """The async hello-world view, served over ASGI."""
    return JsonResponse(PAYLOAD)


def hello_sync(request: HttpRequest) -> JsonResponse:
    """The same view as a sync function, served over WSGI."""
    return JsonResponse(PAYLOAD)
