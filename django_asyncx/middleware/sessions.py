"""``SessionMiddleware`` on the loop: the session is saved through the DB bridge when needed."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib.sessions import middleware
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.exceptions import SessionInterrupted
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date

from django_asyncx.db import run_in_db

from .base import LoopMiddlewareMixin, aload_session

__all__ = ["SessionMiddleware"]


class SessionMiddleware(LoopMiddlewareMixin, middleware.SessionMiddleware):
    """Drop-in for ``django.contrib.sessions.middleware.SessionMiddleware``.

    Attaching the lazy session costs nothing; the response hook decides, exactly as
    Django's, whether to delete the cookie, vary on it, or save the session and set it. Only
    a save (the session was modified, or ``SESSION_SAVE_EVERY_REQUEST``) reaches the store,
    through :func:`django_asyncx.db.run_in_db`; a request that never touches the session
    makes no thread hop.
    """

    async def aprocess_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        """Django's ``process_response`` with the store reached through the bridge."""
        try:
            session: Any = request.session
            accessed = session.accessed
            modified = session.modified
            empty = session.is_empty()
        except AttributeError:
            return response
        if settings.SESSION_COOKIE_NAME in request.COOKIES and empty:
            response.delete_cookie(
                settings.SESSION_COOKIE_NAME,
                path=settings.SESSION_COOKIE_PATH,
                domain=settings.SESSION_COOKIE_DOMAIN,
                samesite=settings.SESSION_COOKIE_SAMESITE,
            )
            need_vary_cookie = True
        else:
            need_vary_cookie = accessed
            if (modified or settings.SESSION_SAVE_EVERY_REQUEST) and not empty:
                # The expiry is read from the session data: load it first if it was not.
                await aload_session(session)
                max_age: int | None
                if session.get_expire_at_browser_close():
                    max_age = None
                    expires = None
                else:
                    max_age = session.get_expiry_age()
                    expires = http_date(time.time() + max_age)
                if response.status_code < 500:
                    try:
                        await run_in_db(session.save)
                    except UpdateError:
                        raise SessionInterrupted(
                            "The request's session was deleted before the "
                            "request completed. The user may have logged "
                            "out in a concurrent request, for example."
                        ) from None
                    set_cookie: Any = response.set_cookie  # stubs reject Django's None flags
                    set_cookie(
                        settings.SESSION_COOKIE_NAME,
                        session.session_key,
                        max_age=max_age,
                        expires=expires,
                        domain=settings.SESSION_COOKIE_DOMAIN,
                        path=settings.SESSION_COOKIE_PATH,
                        secure=settings.SESSION_COOKIE_SECURE or None,
                        httponly=settings.SESSION_COOKIE_HTTPONLY or None,
                        samesite=settings.SESSION_COOKIE_SAMESITE,
                    )
                    need_vary_cookie = True
        if need_vary_cookie:
            patch_vary_headers(response, ("Cookie",))
        return response
