"""The request handler: Django's ``ASGIHandler`` without its needless hops, with what async lacks.

:class:`ASGIHandler` is the ``http`` branch of :class:`django_asyncx.asgi.AsyncxApplication`.
Django's ``ASGIHandler`` leaves the event loop several times per request even when every
middleware and the view are async:

- ``request_started`` and ``request_finished`` are sent with ``Signal.asend``, which runs all
  sync receivers in a thread;
- ``response.close()`` runs in a thread;
- a response with status >= 400 is logged from a thread, and an exception raised by a view
  or middleware is turned into a response in a thread.

This handler keeps the behaviour and drops the hops that do nothing:

- the request signals go through :func:`django_asyncx.receivers.send_signal`: receivers that
  only clean up the request's sync thread are skipped when the request made none, Django's
  context-local ones run on the loop, any other sync receiver runs in the request's thread;
- ``response.close()`` runs on the loop when its only resource is the request with uploads
  held in memory; a streaming or file response, or an upload spooled to disk, closes in a
  thread as in Django;
- error responses are logged on the loop (logging is synchronous everywhere else too), and
  404/403/400 responses from Django's default error views are built on the loop; a 500 or a
  custom error view is built in a thread, as in Django;
- ``process_exception`` hooks are only consulted (in a thread) when a middleware has one;
- a ``TemplateResponse`` of a request that has no sync thread renders on the DB bridge's
  pool (:func:`django_asyncx.db.run_in_db`) instead of a thread created for the request.

It also gives async requests what Django's handler lacks for them:

- the event-loop block detector (:mod:`django_asyncx.watchdog`) starts with the first
  request on each loop and is told the request being served;
- ``ATOMIC_REQUESTS = True`` works for async views: each runs in
  :func:`django_asyncx.db.atomic` on every such database (``@non_atomic_requests`` opts
  out), where Django refuses them;
- the connections Django's a-methods open on the thread it makes for each request are closed
  when the request finishes, even with ``CONN_MAX_AGE``: that thread ends with the request,
  so they could never be reused.

``HopFreeASGIHandler``, the name of the hop-free base class before it and ``ASGIHandler``
became one, is an alias of :class:`ASGIHandler`, kept for one release.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Callable
from contextlib import closing, suppress
from contextvars import ContextVar
from functools import wraps
from typing import IO, Any, cast

from asgiref.sync import SyncToAsync, ThreadSensitiveContext, iscoroutinefunction, sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import (
    BadRequest,
    ImproperlyConfigured,
    MiddlewareNotUsed,
    PermissionDenied,
    RequestAborted,
    SuspiciousOperation,
)
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.handlers.asgi import ASGIHandler as DjangoASGIHandler
from django.core.handlers.asgi import get_script_prefix
from django.core.handlers.exception import response_for_exception
from django.db import connections
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.http.multipartparser import MultiPartParserError
from django.urls import get_resolver, get_urlconf, set_script_prefix, set_urlconf
from django.utils.log import log_response
from django.utils.module_loading import import_string
from django.views import defaults

from .conf import asyncx_settings
from .db import AsyncAtomic, run_in_db
from .db.testing import close_connections_outside_test, current_route, in_test_environment
from .exceptions import PoolTimeoutError
from .middleware.chain import group_view_hooks, loop_variant, middleware_mode, on_loop
from .receivers import has_request_thread, request_thread_receiver, send_signal
from .types import Message, Receive, Scope, Send
from .watchdog import current_request, ensure_loop_watchdog

__all__ = [
    "ASGIHandler",
    "HopFreeASGIHandler",
    "convert_exception_to_response",
    "exception_to_response",
]

logger = logging.getLogger("django.request")

_DEFAULT_ERROR_VIEWS: dict[int, Callable[..., Any]] = {
    400: defaults.bad_request,
    403: defaults.permission_denied,
    404: defaults.page_not_found,
}
_CLIENT_ERRORS = (Http404, PermissionDenied, BadRequest, MultiPartParserError, SuspiciousOperation)


class _RequestProcessed(Exception):
    """Raised inside the request's task group once the response is sent, to end it."""


def _closes_on_loop(response: HttpResponseBase, request: HttpRequest | None) -> bool:
    if type(response).close is not HttpResponseBase.close:
        return False
    for closer in response._resource_closers:  # type: ignore[attr-defined]
        if request is None or closer != request.close:
            return False
        files = getattr(request, "_files", None)
        if files is not None and any(
            not isinstance(f, InMemoryUploadedFile) for _, items in files.lists() for f in items
        ):
            return False
    return True


def _error_view_on_loop(exc: Exception) -> bool:
    if not isinstance(exc, _CLIENT_ERRORS):
        return False
    if settings.DEBUG:
        return isinstance(exc, Http404)
    status = 403 if isinstance(exc, PermissionDenied) else 404 if isinstance(exc, Http404) else 400
    try:
        handler: Callable[..., Any] = get_resolver(get_urlconf()).resolve_error_handler(status)
    except Exception:
        return False
    return handler is _DEFAULT_ERROR_VIEWS[status]


def _overloaded(request: HttpRequest, exc: PoolTimeoutError) -> HttpResponse:
    # Overload, not a bug: 503 with Retry-After, logged as a warning, and no
    # got_request_exception (error reporters would page someone for every shed request).
    response = HttpResponse(
        "The service is overloaded; retry later.\n",
        status=503,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(exc.retry_after)
    log_response(
        "Service Unavailable (overloaded: %s): %s",
        exc,
        request.path,
        response=response,
        request=request,
        level="warning",
        exception=exc,
    )
    return response


async def exception_to_response(request: HttpRequest, exc: Exception) -> HttpResponseBase:
    """Django's ``response_for_exception``, on the loop for 4xx from the default views.

    :class:`~django_asyncx.exceptions.PoolTimeoutError` (overload) is a 503 with
    ``Retry-After``."""
    if isinstance(exc, PoolTimeoutError):
        return _overloaded(request, exc)
    if _error_view_on_loop(exc):
        return response_for_exception(request, exc)
    return await sync_to_async(response_for_exception, thread_sensitive=False)(request, exc)


def convert_exception_to_response(get_response: Any) -> Any:
    """Django's wrapper of each middleware that turns an exception into a response."""
    if iscoroutinefunction(get_response):

        @wraps(get_response)
        async def inner(request: HttpRequest) -> HttpResponseBase:
            try:
                return await get_response(request)  # type: ignore[no-any-return]
            except Exception as exc:
                return await exception_to_response(request, exc)

        return inner

    @wraps(get_response)
    def sync_inner(request: HttpRequest) -> HttpResponseBase:
        try:
            return get_response(request)  # type: ignore[no-any-return]
        except PoolTimeoutError as exc:
            return _overloaded(request, exc)
        except Exception as exc:
            return response_for_exception(request, exc)

    return sync_inner


# True in the tasks and threads of a request served by ASGIHandler: Django's thread-sensitive
# calls for it (a-methods, signal receivers) run on a thread made for that request alone.
_request_thread: ContextVar[bool] = ContextVar("django_asyncx.request_thread", default=False)


@request_thread_receiver
def _close_request_thread_connections(**kwargs: Any) -> None:
    # request_finished runs on the request's thread, which ends with the request: a
    # connection kept there for CONN_MAX_AGE could never be reused, only leaked.
    if not _request_thread.get():
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        # A thread: its own connections (in a TestCase, the test's thread: not the test's).
        if in_test_environment():
            close_connections_outside_test()
        else:
            connections.close_all()


class ASGIHandler(DjangoASGIHandler):
    """Django's ASGI request handler without its needless thread hops (see the module).

    Behaves as ``django.core.handlers.asgi.ASGIHandler`` (same signals, error responses,
    streaming, file uploads, cancellation of the view on client disconnect) and overrides
    only the steps that hop to a thread; reading the body, building the request and sending
    the response are Django's own code. It starts the event-loop block detector and records
    the request it serves for it, runs async views in :func:`django_asyncx.db.atomic` under
    ``ATOMIC_REQUESTS``, and closes the connections of the request's thread with the
    request. ``HopFreeASGIHandler`` is an alias of it, kept for one release.
    """

    def __init__(self) -> None:
        super().__init__()
        signals.request_finished.connect(
            _close_request_thread_connections, dispatch_uid="django_asyncx.handler.request_thread"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The loop-block detector names the request it caught blocking the loop.
        await ensure_loop_watchdog()
        if in_test_environment():
            # Inside a TestCase the request's thread is the test's: keep its connection open.
            await current_route()
        token = current_request.set(f"{scope.get('method', '')} {scope.get('path', '')}")
        thread_token = _request_thread.set(True)
        try:
            await super().__call__(scope, receive, send)
        finally:
            _request_thread.reset(thread_token)
            current_request.reset(token)

    def make_view_atomic(self, view: Callable[..., Any]) -> Callable[..., Any]:
        """Django's ``make_view_atomic``; an async view, which Django refuses, runs in
        :func:`django_asyncx.db.atomic` on each ``ATOMIC_REQUESTS`` database."""
        if not iscoroutinefunction(view):
            return super().make_view_atomic(view)
        non_atomic: set[str] = getattr(view, "_non_atomic_requests", set())
        for alias, settings_dict in connections.settings.items():
            if settings_dict["ATOMIC_REQUESTS"] and alias not in non_atomic:
                view = AsyncAtomic(alias)(view)
        return view

    def load_middleware(self, is_async: bool = False) -> None:
        """Django's ``load_middleware``, wrapping each layer in the loop-side converter.

        In an async chain each middleware runs as :mod:`django_asyncx.middleware.chain`
        decides: async-capable ones and loop-safe ``MiddlewareMixin`` ones on the loop, the
        others in sync mode, so that each contiguous run of them costs one thread hop.
        """
        self._view_middleware: list[Any] = []
        self._template_response_middleware: list[Any] = []
        self._exception_middleware: list[Any] = []
        view_hooks: list[tuple[Any, bool]] = []
        declared = asyncx_settings.LOOP_SAFE_MIDDLEWARE if is_async else ()
        get_response = self._get_response_async if is_async else self._get_response  # type: ignore[attr-defined]
        handler = convert_exception_to_response(get_response)
        handler_is_async = is_async
        for middleware_path in reversed(settings.MIDDLEWARE):
            middleware = import_string(middleware_path)
            middleware_can_sync = getattr(middleware, "sync_capable", True)
            middleware_can_async = getattr(middleware, "async_capable", False)
            if not middleware_can_sync and not middleware_can_async:
                raise RuntimeError(
                    f"Middleware {middleware_path} must have at least one of "
                    "sync_capable/async_capable set to True."
                )
            mode = middleware_mode(middleware, middleware_path, declared) if is_async else ""
            if mode == "loop":
                middleware = loop_variant(middleware)
            if is_async:
                # Async-capable ones stay on the loop even above a sync run (whose border
                # is its one hop); Django would turn them sync too, hooks in the thread.
                middleware_is_async = middleware_can_async and mode != "sync"
            elif not handler_is_async and middleware_can_sync:
                middleware_is_async = False
            else:
                middleware_is_async = middleware_can_async
            try:
                adapted_handler = self.adapt_method_mode(
                    middleware_is_async,
                    handler,
                    handler_is_async,
                    debug=settings.DEBUG,
                    name=f"middleware {middleware_path}",
                )
                mw_instance = middleware(adapted_handler)
            except MiddlewareNotUsed as exc:
                if settings.DEBUG:
                    if str(exc):
                        logger.debug("MiddlewareNotUsed(%r): %s", middleware_path, exc)
                    else:
                        logger.debug("MiddlewareNotUsed: %r", middleware_path)
                continue
            handler = adapted_handler
            if mw_instance is None:
                raise ImproperlyConfigured(f"Middleware factory {middleware_path} returned None.")
            if hasattr(mw_instance, "process_view"):
                hook = mw_instance.process_view
                if mode == "loop" and not iscoroutinefunction(hook):
                    view_hooks.insert(0, (on_loop(hook), True))
                elif mode == "sync" and not iscoroutinefunction(hook):
                    view_hooks.insert(0, (hook, False))
                else:
                    view_hooks.insert(0, (self.adapt_method_mode(is_async, hook), True))
            if hasattr(mw_instance, "process_template_response"):
                hook = mw_instance.process_template_response
                if mode == "loop" and not iscoroutinefunction(hook):
                    hook = on_loop(hook)
                self._template_response_middleware.append(self.adapt_method_mode(is_async, hook))
            if hasattr(mw_instance, "process_exception"):
                self._exception_middleware.append(
                    self.adapt_method_mode(False, mw_instance.process_exception)
                )
            handler = convert_exception_to_response(mw_instance)
            handler_is_async = middleware_is_async
        if is_async:
            self._view_middleware = group_view_hooks(view_hooks)
        else:
            self._view_middleware = [hook for hook, _ in view_hooks]
        self._middleware_chain = self.adapt_method_mode(is_async, handler, handler_is_async)

    async def read_body(self, receive: Receive) -> IO[bytes]:
        """Django's ``read_body``; a body that arrives in one small message skips the tempfile.

        Most requests (every GET) carry their whole body, often empty, in the first message:
        a ``BytesIO`` holds it as the in-memory ``SpooledTemporaryFile`` would.
        """
        message = await receive()
        if message["type"] == "http.disconnect":
            raise RequestAborted()
        body = message.get("body", b"")
        if (
            not message.get("more_body", False)
            and len(body) <= settings.FILE_UPLOAD_MAX_MEMORY_SIZE
        ):
            return io.BytesIO(body)
        pending = [message]

        async def replay() -> Message:
            return pending.pop() if pending else await receive()

        return await super().read_body(replay)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        """Django's ``get_response_async``, logging error responses on the loop."""
        set_urlconf(settings.ROOT_URLCONF)
        chain: Any = self._middleware_chain
        response = await chain(request)
        response._resource_closers.append(request.close)
        if response.status_code >= 400:
            log_response(
                "%s: %s", response.reason_phrase, request.path, response=response, request=request
            )
        return response  # type: ignore[no-any-return]

    async def _process_exception(self, exc: Exception, request: HttpRequest) -> Any:
        if not self._exception_middleware:
            return None
        return await sync_to_async(self.process_exception_by_middleware, thread_sensitive=True)(
            exc, request
        )

    async def _get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        """Django's ``_get_response_async``; exception hooks consulted only when present."""
        response: Any = None
        middleware_method: Any
        wrapped_callback: Any
        callback, callback_args, callback_kwargs = self.resolve_request(request)
        for middleware_method in self._view_middleware:
            response = await middleware_method(request, callback, callback_args, callback_kwargs)
            if response:
                break
        if response is None:
            wrapped_callback = self.make_view_atomic(callback)
            if not iscoroutinefunction(wrapped_callback):
                wrapped_callback = sync_to_async(wrapped_callback, thread_sensitive=True)
            try:
                response = await wrapped_callback(request, *callback_args, **callback_kwargs)
            except Exception as exc:
                response = await self._process_exception(exc, request)
                if response is None:
                    raise
        self.check_response(response, callback)
        if hasattr(response, "render") and callable(response.render):
            for middleware_method in self._template_response_middleware:
                response = await middleware_method(request, response)
                self.check_response(
                    response,
                    middleware_method,
                    name=f"{middleware_method.__self__.__class__.__name__}"
                    ".process_template_response",
                )
            try:
                if iscoroutinefunction(response.render):
                    response = await response.render()
                elif has_request_thread(SyncToAsync.thread_sensitive_context.get(None)):
                    # The request has a sync thread (its connections live there): render
                    # there, as Django does.
                    response = await sync_to_async(response.render, thread_sensitive=True)()
                else:
                    # An all-async request: render on the DB bridge's pool (a template may
                    # still run queries), not in a new thread made for this request.
                    response = await run_in_db(response.render)
            except Exception as exc:
                response = await self._process_exception(exc, request)
                if response is None:
                    raise
        if asyncio.iscoroutine(response):
            raise RuntimeError("Response is still a coroutine.")
        return response  # type: ignore[no-any-return]

    async def _close(
        self,
        response: HttpResponseBase,
        request: HttpRequest | None,
        context: ThreadSensitiveContext | None,
    ) -> None:
        if not _closes_on_loop(response, request):
            await sync_to_async(response.close)()
            return
        for closer in response._resource_closers:  # type: ignore[attr-defined]
            with suppress(Exception):  # as HttpResponseBase.close() does
                closer()
        response._resource_closers.clear()  # type: ignore[attr-defined]
        response.closed = True
        await send_signal(
            signals.request_finished,
            getattr(response, "_handler_class", None),
            context,
        )

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Django's ``handle``, with signals and ``response.close()`` on the loop when possible."""
        context = SyncToAsync.thread_sensitive_context.get(None)
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        with closing(body_file):
            set_script_prefix(get_script_prefix(scope))
            await send_signal(signals.request_started, self.__class__, context, scope=scope)
            request, error_response = self.create_request(scope, body_file)
            error_response = cast(HttpResponseBase, error_response)
            if request is None:
                body_file.close()
                await self.send_response(error_response, send)
                await self._close(error_response, None, context)
                return

            response: Any = None
            try:
                try:
                    async with asyncio.TaskGroup() as tg:
                        tg.create_task(self.listen_for_disconnect(receive))
                        response = await self.run_get_response(request)
                        await self.send_response(response, send)
                        raise _RequestProcessed
                except* (_RequestProcessed, RequestAborted):
                    pass
            except BaseExceptionGroup as exception_group:
                if len(exception_group.exceptions) == 1:
                    raise exception_group.exceptions[0]  # noqa: B904
                raise
            if response is None:
                await send_signal(signals.request_finished, self.__class__, context)
            else:
                await self._close(response, request, context)


# The hop-free base class's name before it and ASGIHandler became one; kept for one release.
HopFreeASGIHandler = ASGIHandler
