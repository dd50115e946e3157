"""Async context processors for templates rendered on the event loop (the native Jinja2 backend).

``auth`` is ``django.contrib.auth.context_processors.auth`` with the user loaded by
``await request.auser()``: a Jinja2 template rendered on the loop can then read
``{{ user.username }}`` without a query there. List it in the Jinja2 engine's
``OPTIONS["context_processors"]``; keep Django's sync one in the engine Django renders itself
(the admin, sync views), which cannot await.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

__all__ = ["auth"]


async def auth(request: HttpRequest) -> dict[str, Any]:
    """``user`` (loaded with ``request.auser()``, else anonymous) and ``perms``."""
    from django.contrib.auth.context_processors import PermWrapper
    from django.contrib.auth.models import AnonymousUser

    auser = getattr(request, "auser", None)
    user = await auser() if auser is not None else AnonymousUser()
    return {"user": user, "perms": PermWrapper(user)}
