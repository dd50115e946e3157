"""``HttpClientMiddleware``: ``request.http``, request-id and trace propagation, timings.

::

    MIDDLEWARE = [..., "django_asyncx.middleware.HttpClientMiddleware", ...]

    async def profile(request):
        user, repos = await gather(  # django_asyncx.concurrency.gather
            request.http.get("https://api.example.com/user"),
            request.http.get("https://api.example.com/repos"),
        )

Options are in ``ASYNCX["HTTP_MIDDLEWARE"]``
(:class:`~django_asyncx.options.MiddlewareOptions`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from asgiref.sync import markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase

from django_asyncx.conf import asyncx_settings
from django_asyncx.exceptions import UpstreamError, UpstreamTimeout
from django_asyncx.http.client import get_client
from django_asyncx.http.tracing import CallContext, use_context

__all__ = ["HttpClientMiddleware"]


class HttpClientMiddleware:
    """Gives each request ``request.http``, the configured client bound to the request.

    Every call made while serving the request, through ``request.http`` or any
    ``get_client(name)``, carries the request id (``X-Request-ID`` by default; a safe
    incoming value is kept, else one is generated) and a W3C ``traceparent`` continuing the
    incoming trace, and is recorded: method, host, status, duration. The incoming request's
    cookies and ``Authorization`` header are never forwarded.

    The response gets the request id header, and a ``Server-Timing`` header listing the calls
    when ``server_timing`` is on (by default: when ``DEBUG`` is). With ``error_responses``,
    an :class:`~django_asyncx.exceptions.UpstreamError` the view does not handle becomes a
    504 (timeout) or 502 response with a one-line message instead of a 500.

    Async only: it never hops to a thread.
    """

    sync_capable = False
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Awaitable[HttpResponseBase]]):
        self.get_response = get_response
        markcoroutinefunction(self)
        # Fail at startup, not at the first request, when the client is not configured.
        get_client(asyncx_settings.HTTP_MIDDLEWARE.client)

    async def __call__(self, request: HttpRequest) -> HttpResponseBase:
        options = asyncx_settings.HTTP_MIDDLEWARE
        context = CallContext.from_headers(
            request.headers, request_id_header=options.request_id_header
        )
        request.http = get_client(options.client).bind(context)  # type: ignore[attr-defined]
        with use_context(context):
            response = await self.get_response(request)
        if options.request_id_header not in response:
            response[options.request_id_header] = context.request_id
        timing = options.server_timing if options.server_timing is not None else settings.DEBUG
        if timing and context.records:
            value = context.server_timing()
            existing = response.get("Server-Timing")
            response["Server-Timing"] = f"{existing}, {value}" if existing else value
        return response

    async def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponse | None:
        """With ``error_responses`` on, answer an unhandled upstream error with 504 or 502."""
        if not isinstance(exception, UpstreamError):
            return None
        if not asyncx_settings.HTTP_MIDDLEWARE.error_responses:
            return None
        status = 504 if isinstance(exception, UpstreamTimeout) else 502
        reason = "timed out" if status == 504 else "failed"
        return HttpResponse(
            f"An upstream service {reason}.\n", status=status, content_type="text/plain"
        )
