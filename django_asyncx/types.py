"""The ASGI types, in one place: what a server passes to an application and what it sends back.

``Scope`` is the connection's scope dict, ``Message`` one event, ``Receive`` and ``Send`` the
two callables, ``ASGIApplication`` the ASGI 3 callable itself. They are aliases for type
checkers only (as in starlette's ``types.py``); nothing here is checked at run time. Their
shapes are those Django's own ``ASGIHandler`` is typed with (a ``dict`` scope, messages read
as a ``Mapping``), so the handler that subclasses it overrides its methods with them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

__all__ = ["ASGIApplication", "Message", "Receive", "Scope", "Send"]

Scope = dict[str, Any]
Message = Mapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApplication = Callable[[Scope, Receive, Send], Awaitable[None]]
