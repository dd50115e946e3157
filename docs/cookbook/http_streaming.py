"""Recipe: pass a large download through to the browser without holding it in memory.

The upstream body is relayed chunk by chunk; memory stays at one chunk per download. If the
browser goes away, Django closes the generator, which leaves the ``stream()`` block and
releases the upstream connection: nothing is left half-read.

    ASYNCX = {"HTTP_CLIENTS": {"exports": {
        "base_url": "https://exports.internal.example.com",
        "allowed_hosts": ["exports.internal.example.com"],
        "timeout": {"total": None, "read": 30},   # a long download: bound the gaps only
    }}}
"""

from collections.abc import AsyncIterator

from django.http import HttpRequest, StreamingHttpResponse
from django.urls import path

from django_asyncx.http import get_client


async def download(request: HttpRequest, name: str) -> StreamingHttpResponse:
    async def relay() -> AsyncIterator[bytes]:
        async with get_client("exports").stream("GET", f"files/{name}") as upstream:
            async for chunk in upstream.iter_bytes(256 * 1024):
                yield chunk

    response = StreamingHttpResponse(relay(), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


urlpatterns = [path("download/<str:name>/", download)]
