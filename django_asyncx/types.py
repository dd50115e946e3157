"""The types the package shares: ASGI's, and the exception triple of ``__aexit__``.

``Scope`` is the connection's scope dict, ``Message`` one event, ``Receive`` and ``Send`` the
two callables, ``ASGIApplication`` the ASGI 3 callable itself. They are aliases for type
checkers only (as in starlette's ``types.py``); nothing here is checked at run time. Their
shapes are those Django's own ``ASGIHandler`` is typed with (a ``dict`` scope, messages read
as a ``Mapping``), so the handler that subclasses it overrides its methods with them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any

__all__ = ["ASGIApplication", "ExcInfo", "Message", "Receive", "Scope", "Send"]

Scope = dict[str, Any]
Message = Mapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApplication = Callable[[Scope, Receive, Send], Awaitable[None]]
# What ``__exit__``/``__aexit__`` receive: ``async def __aexit__(self, *exc_info: *ExcInfo)``.
ExcInfo = tuple[type[BaseException] | None, BaseException | None, TracebackType | None]
