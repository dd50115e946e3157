"""The views of ``page``: a logged-in user's page of 20 books, each with its author (a FK).

The sync view is what a Django project has today (for WSGI); the async one is what
django_asyncx's documentation writes: the user and the rows loaded in one
:func:`~django_asyncx.db.run_in_db` call (on the native engine, on the loop), the template
rendered with :func:`~django_asyncx.templates.arender`. Both refuse an anonymous request
(403), so a benchmark without the session cookie fails loudly instead of measuring a
different page.
"""

from __future__ import annotations

from typing import Any

from demo.models import Book
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import render

from django_asyncx.db import run_in_db
from django_asyncx.templates import arender

TEMPLATE = "bench_books20.html"
ROWS = 20


def logged_in_session() -> str:
    """Create the user ``ada`` if missing and a logged-in session for her; its key."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore

    user, _ = User.objects.get_or_create(username="ada", defaults={"first_name": "Ada"})
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.set_expiry(7 * 24 * 3600)
    session.create()
    return str(session.session_key)


def _context(request: HttpRequest) -> dict[str, Any] | None:
    user = request.user
    if not user.is_authenticated:
        return None
    books = list(Book.objects.select_related("author").order_by("id")[:ROWS])
    return {"me": user, "books": books}


def page_sync(request: HttpRequest) -> HttpResponse:
    """The page as a sync view: session, user and rows queried, template rendered."""
    context = _context(request)
    if context is None:
        return HttpResponseForbidden()
    return render(request, TEMPLATE, context)


async def page_async(request: HttpRequest) -> HttpResponse:
    """The same page as an async view through django_asyncx's DB bridge."""
    context = await run_in_db(_context, request)
    if context is None:
        return HttpResponseForbidden()
    return await arender(request, TEMPLATE, context)
