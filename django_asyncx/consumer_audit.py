"""The WebSocket half of ``manage.py asyncx_audit``: the project's routes and consumers.

:func:`consumer_findings` looks through the project's ASGI application for its websocket
application (``get_asgi_application(websocket=...)``, a Channels ``ProtocolTypeRouter``,
wrapped or not, and the ASGI middleware around them), and reports

- the websocket stack (origin validator, cookies, session, auth) and whether it loads the
  user in a thread (Channels' ``AuthMiddleware``: a hop per connection);
- each route and its consumer: sync (a ``SyncConsumer``, such as ``WebsocketConsumer`` or
  ``JsonWebsocketConsumer``, handles every message in a worker thread), async on Channels'
  base class (``close_old_connections()`` in a thread before every message) or async on
  django_asyncx's (no hop per message);
- which ``database_sync_to_async`` the consumer's code calls: Channels' (a thread hop per
  call) or django_asyncx's (the DB bridge's bounded pool; no thread on the native engine);

each with the change that removes the hops. Channels is optional: without it, a websocket
application is listed as it is.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from typing import Any

from .db.bridge import database_sync_to_async as _bridge_decorator
from .findings import Finding

__all__ = ["consumer_findings"]

_SYNC_FIX = (
    "make it async: derive from django_asyncx.consumers.AsyncWebsocketConsumer (or "
    "AsyncJsonWebsocketConsumer), its database work in functions decorated with "
    "django_asyncx.consumers.database_sync_to_async"
)
_CHANNELS_FIX = (
    "derive from django_asyncx.consumers.AsyncWebsocketConsumer (same API, no hop per "
    "message) once its database work goes through django_asyncx's database_sync_to_async"
)
_DB_FIX = (
    "decorate with django_asyncx.consumers.database_sync_to_async (the DB bridge: a bounded "
    "pool, no thread on the native engine)"
)
_AUTH_FIX = (
    "use django_asyncx.consumers.AuthMiddlewareStack: it loads the user through the DB bridge"
)


def _websocket_application(app: Any) -> Any:
    """The application serving websocket scopes inside ``app``, or ``None``."""
    from .asgi import AsyncxApplication

    for _ in range(20):
        if isinstance(app, AsyncxApplication):
            app = app.websocket
        elif isinstance(getattr(app, "application_mapping", None), dict):
            return app.application_mapping.get("websocket")
        elif hasattr(app, "app") and not hasattr(app, "routes"):
            app = app.app
        else:
            return app
    return app


def _inner(app: Any) -> Any:
    """The application an ASGI middleware wraps (Channels' spell it three ways)."""
    for attribute in ("inner", "application", "app"):
        inner = getattr(app, attribute, None)
        if inner is not None and callable(inner):
            return inner
    return None


def _name(obj: Any) -> str:
    target = obj if isinstance(obj, type | types.FunctionType) else type(obj)
    return f"{target.__module__}.{target.__qualname__}"


def _routes(app: Any, prefix: str = "") -> Iterator[tuple[str, list[str], Any]]:
    """``(route, middleware names, application)`` for each route under ``app``."""
    stack: list[str] = []
    for _ in range(50):
        routes = getattr(app, "routes", None)
        if isinstance(routes, list):
            for route in routes:
                pattern = prefix + str(getattr(route, "pattern", route))
                for found, inner_stack, target in _routes(route.callback, pattern):
                    yield found, stack + inner_stack, target
            return
        if getattr(app, "consumer_class", None) is not None:
            break
        inner = _inner(app)
        if inner is None:
            break
        stack.append(_name(app))
        app = inner
    yield prefix, stack, app


def _code_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


def _helper_kind(obj: Any) -> str | None:
    """``"channels"`` or ``"bridge"`` for a database_sync_to_async wrapper (or the decorator)."""
    from channels.db import DatabaseSyncToAsync

    if isinstance(obj, DatabaseSyncToAsync) or obj is DatabaseSyncToAsync:
        return "channels"
    if obj is _bridge_decorator or getattr(obj, "__code__", None) is _BRIDGE_CODE:
        return "bridge"
    return None


def _helper_name(name: str, obj: Any) -> str:
    if isinstance(obj, type) or getattr(obj, "__name__", "") == "database_sync_to_async":
        return f"{name}() inline"
    return name


def _database_helpers(cls: type) -> dict[str, set[str]]:
    """The consumer's own code's database_sync_to_async wrappers, by kind."""
    found: dict[str, set[str]] = {"channels": set(), "bridge": set()}
    for klass in cls.__mro__:
        module = klass.__module__ or ""
        if module.split(".")[0] in ("channels", "django_asyncx", "builtins"):
            continue
        namespace = vars(sys.modules[module]) if module in sys.modules else {}
        for attribute, value in vars(klass).items():
            value = getattr(value, "__func__", value)  # staticmethod, classmethod
            kind = _helper_kind(value)
            if kind is not None:
                found[kind].add(f"{klass.__qualname__}.{attribute}")
                continue
            code = getattr(value, "__code__", None)
            if not isinstance(code, types.CodeType):
                continue
            for name in _code_names(code):
                kind = _helper_kind(namespace.get(name))
                if kind is not None:
                    found[kind].add(_helper_name(name, namespace[name]))
    return found


def _consumer(route: str, cls: Any) -> Finding:
    from channels.consumer import AsyncConsumer, SyncConsumer

    from . import consumers

    helpers = _database_helpers(cls)
    if issubclass(cls, SyncConsumer):
        detail, hops, fix = "sync: each message handled in a worker thread", 1, _SYNC_FIX
    elif issubclass(cls, AsyncConsumer) and cls.dispatch is AsyncConsumer.dispatch:
        detail = "async on Channels' base: close_old_connections() in a thread before each message"
        hops, fix = 1, _CHANNELS_FIX
    elif issubclass(cls, AsyncConsumer):
        # dispatch overridden: django_asyncx's (or the project's own, which is not measured).
        ours = cls.dispatch is consumers.AsyncWebsocketConsumer.dispatch
        detail = (
            "async, django_asyncx's: no thread hop per message" if ours else "async, own dispatch"
        )
        hops, fix = 0, ""
    else:
        return Finding("consumer", route, f"{_name(cls)}: not a Channels consumer")
    parts = [f"{_name(cls)}: {detail}"]
    if helpers["bridge"]:
        names = ", ".join(sorted(helpers["bridge"]))
        parts.append(f"django_asyncx's database_sync_to_async (DB bridge): {names}")
    if helpers["channels"]:
        names = ", ".join(sorted(helpers["channels"]))
        parts.append(f"Channels' database_sync_to_async (a thread hop per call): {names}")
        fix = f"{fix}; " if fix else ""
        fix += f"{names}: {_DB_FIX}"
    return Finding("consumer", route, "; ".join(parts), hops, fix)


def consumer_findings(app: Any) -> list[Finding]:
    """The findings of kinds ``websocket`` and ``consumer`` for the ASGI application ``app``."""
    websocket = _websocket_application(app)
    if websocket is None:
        return []
    try:
        import channels  # noqa: F401
    except ImportError:
        return [Finding("websocket", _name(websocket), "an ASGI application, not Channels")]
    from channels.auth import AuthMiddleware

    from . import consumers

    findings: list[Finding] = []
    stacks: set[str] = set()
    for route, stack, target in _routes(websocket):
        layers = " > ".join(name.rsplit(".", 1)[-1] for name in stack) or "no middleware"
        channels_auth = [
            name
            for name in stack
            if name == _name(AuthMiddleware) and name != _name(consumers.AuthMiddleware)
        ]
        if layers not in stacks:
            stacks.add(layers)
            if channels_auth:
                detail = "Channels' AuthMiddleware loads the user in a thread: a hop per connection"
                findings.append(Finding("websocket", layers, detail, 1, _AUTH_FIX))
            elif _name(consumers.AuthMiddleware) in stack:
                detail = "django_asyncx's AuthMiddleware: the user loaded through the DB bridge"
                findings.append(Finding("websocket", layers, detail))
            else:
                findings.append(Finding("websocket", layers, "no user loaded"))
        cls = getattr(target, "consumer_class", None)
        if isinstance(cls, type):
            findings.append(_consumer(route or "/", cls))
        else:
            findings.append(
                Finding(
                    "consumer",
                    route or "/",
                    f"{_name(target)}: an ASGI application, not a Channels consumer",
                )
            )
    return findings


def _probe() -> None:
    """Decorated once, so that the bridge's wrappers are recognised by their code object."""


_BRIDGE_CODE = _bridge_decorator(_probe).__code__
