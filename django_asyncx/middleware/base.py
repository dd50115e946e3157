"""The base of the async-native drop-ins: Django's middleware, run on the event loop.

Django's ``MiddlewareMixin`` runs ``process_request`` and ``process_response`` through
``sync_to_async`` when the stack is async: two thread hops per middleware per request, even
for hooks that only read headers. :class:`LoopMiddlewareMixin`, mixed in before a Django
middleware class, calls the same hooks directly on the loop. A drop-in whose hooks can touch
the database or a cache (sessions, CSRF with ``CSRF_USE_SESSIONS``, messages) first loads or
saves the session through :func:`django_asyncx.db.run_in_db`, and only when the request
touched it.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponseBase

from django_asyncx.db import run_in_db

__all__ = ["LoopMiddlewareMixin", "aload_session"]


async def aload_session(session: Any) -> None:
    """Load ``session`` (a ``SessionBase``) through the DB bridge, unless already loaded.

    The ``accessed`` flag keeps its value, so loading ahead of a sync hook that may read the
    session adds no ``Vary: Cookie`` the hook would not have added itself.
    """
    if hasattr(session, "_session_cache"):
        return
    accessed = session.accessed
    if session.session_key is None:
        session._session_cache = {}  # what _get_session() does without a key
    else:
        await run_in_db(session._get_session)
    session.accessed = accessed


class LoopMiddlewareMixin:
    """Run a ``MiddlewareMixin`` subclass's hooks on the event loop instead of in a thread.

    Put it first in the bases: ``class CommonMiddleware(LoopMiddlewareMixin,
    django.middleware.common.CommonMiddleware)``. A subclass may define the coroutines
    ``aprocess_request``/``aprocess_response`` to do I/O around the sync hooks; they replace
    the sync hook in async mode. In sync mode (WSGI), Django's own ``__call__`` runs.
    """

    def __init__(self, get_response: Any) -> None:
        super().__init__(get_response)  # type: ignore[call-arg]
        # Looked up once: the hooks a request goes through.
        self._request_hook = getattr(self, "aprocess_request", None) or getattr(
            self, "process_request", None
        )
        self._response_hook = getattr(self, "aprocess_response", None) or getattr(
            self, "process_response", None
        )
        self._request_hook_async = hasattr(self, "aprocess_request")
        self._response_hook_async = hasattr(self, "aprocess_response")

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        """One request through the hooks, on the loop: Django's ``__acall__`` without hops."""
        response: Any = None
        hook = self._request_hook
        if hook is not None:
            response = await hook(request) if self._request_hook_async else hook(request)
        if not response:
            get_response: Any = self.get_response  # type: ignore[attr-defined]
            response = await get_response(request)
        hook = self._response_hook
        if hook is not None:
            if self._response_hook_async:
                response = await hook(request, response)
            else:
                response = hook(request, response)
        return response  # type: ignore[no-any-return]
