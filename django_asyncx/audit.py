"""What makes a project's async requests slow, measured: the engine of ``manage.py asyncx_audit``.

:func:`run_audit` returns an :class:`Audit` with

- the project's ASGI application (``ASGI_APPLICATION``, the ``asgi.py`` next to
  ``WSGI_APPLICATION``, or the one named with ``asgi=``) and whether it is django_asyncx's;
- every URL pattern of the project, its view and whether the view is async (a sync view costs
  a thread hop per request, and one more to close the request in that thread); the URL trees
  of third-party apps (the admin, ...) are one line each, with a verdict;
- every middleware, whether it is async-capable, how django_asyncx's handler runs it (on the
  loop, declared loop-safe, or in sync mode where each contiguous run of sync middleware
  shares one thread hop) and the fix that applies (a drop-in, declaring it loop-safe,
  keeping sync ones together), with the thread hops it costs per request **measured** by
  sending a ``GET`` through the project's real ASGI application (its
  middleware and handler) to a trivial async probe view with
  :func:`django_asyncx.hops.count_hops`;
- the hops the handler itself makes for that request (signal receivers, closing);
- the sync receivers of ``request_started``/``request_finished``;
- each cache backend and how a non-blocking read reaches it;
- the websocket routes and their consumers (:mod:`django_asyncx.consumer_audit`);

and for each finding the drop-in or change that removes it.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import signals
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.test.utils import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, path
from django.utils.deprecation import MiddlewareMixin
from django.utils.module_loading import import_string

from .asgi import AsyncxApplication
from .conf import asyncx_settings
from .findings import Finding
from .handler import ASGIHandler
from .hops import count_hops, describe
from .middleware import DROP_INS
from .middleware.base import LoopMiddlewareMixin
from .middleware.chain import middleware_mode
from .receivers import ReceiverRun, classify_receiver
from .testing.client import arequest
from .types import ASGIApplication
from .views._base import is_async_view
from .views.cache import cache_path

__all__ = ["PROBE_PATH", "Audit", "Finding", "probe_urlpatterns", "run_audit"]

PROBE_PATH = "/__asyncx_audit_probe__/"


@dataclass(slots=True)
class Audit:
    """The audit of the current project (see the module docstring)."""

    findings: list[Finding] = field(default_factory=list)
    hops_per_request: int = 0
    probe_status: int = 0
    application: str = ""
    application_is_asyncx: bool = False

    def of(self, kind: str) -> list[Finding]:
        """The findings of one kind."""
        return [f for f in self.findings if f.kind == kind]

    @property
    def worst_request(self) -> tuple[int, str]:
        """The hops of the project's costliest request, and its URL.

        A request costs the hops through the application, middleware and handler
        (:attr:`hops_per_request`) plus those of its view: a sync view of the project adds its
        own. Third-party URL trees (the admin) are not counted: nothing in the project can
        change them.
        """
        hops, route = 0, "an async view"
        for finding in self.of("url"):
            if finding.hops > hops:
                hops, route = finding.hops, finding.name
        return self.hops_per_request + hops, route

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: the application, the hops per request, and ``findings``."""
        worst, route = self.worst_request
        return {
            "application": self.application,
            "application_is_asyncx": self.application_is_asyncx,
            "hops_per_request": self.hops_per_request,
            "worst_request": {"hops": worst, "url": route},
            "probe_status": self.probe_status,
            "findings": [asdict(f) for f in self.findings],
        }


async def _probe(request: HttpRequest) -> HttpResponse:
    return HttpResponse("probe")


class _ProbeURLs:
    """The project's URLconf with the probe view in front, as a module-like object."""

    def __init__(self, urlconf: Any) -> None:
        self.urlpatterns = [path(PROBE_PATH.strip("/") + "/", _probe), *urlconf]


def probe_urlpatterns() -> list[Any]:
    """The project's URL patterns with the audit's async probe view first."""
    return _ProbeURLs(get_resolver().url_patterns).urlpatterns


def _walk(patterns: Any, prefix: str = "") -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            found += _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            found.append((prefix + str(entry.pattern), entry.callback))
    return found


def _view_name(view: Any) -> str:
    cls = getattr(view, "view_class", None)
    target = cls if cls is not None else view
    return f"{getattr(target, '__module__', '?')}.{getattr(target, '__qualname__', target)}"


def _installed(view: Any) -> bool:
    """Whether ``view`` comes from an installed package (site-packages), not the project."""
    target = getattr(view, "view_class", None) or view
    top = (getattr(target, "__module__", None) or "").split(".", 1)[0]
    module = sys.modules.get(top)
    origin = getattr(module, "__file__", None)
    parts = Path(origin).parts if origin else ()
    return "site-packages" in parts or "dist-packages" in parts


def _app_label(views: list[tuple[str, Any]]) -> str:
    target = getattr(views[0][1], "view_class", None) or views[0][1]
    module = getattr(target, "__module__", "") or ""
    return ".".join(module.split(".")[:3]) if module.startswith("django.contrib.") else module


def _sync_view(route: str, view: Any) -> Finding:
    return Finding(
        "url",
        route or "/",
        f"{_view_name(view)}: sync",
        hops=2,
        fix=(
            "make it async, or wrap it in django_asyncx.views.async_view to run it on the "
            "bounded DB pool (1 hop instead of 2)"
        ),
    )


def _audit_patterns(audit: Audit, patterns: Any, prefix: str = "") -> None:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            route = prefix + str(entry.pattern)
            views = _walk(entry.url_patterns, route)
            if views and all(_installed(view) for _, view in views):
                sync = sum(not is_async_view(view) for _, view in views)
                verdict = (
                    ": they work, each request to one costs 2 thread hops; fine for "
                    "low-traffic pages such as the admin (not counted by --fail-on-hops)"
                    if sync
                    else ": all async"
                )
                audit.findings.append(
                    Finding(
                        "third-party",
                        f"{route} ({_app_label(views)})",
                        f"{len(views)} URL(s) of an installed app, {sync} with a sync view"
                        + verdict,
                    )
                )
            else:
                _audit_patterns(audit, entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            route, view = prefix + str(entry.pattern), entry.callback
            if is_async_view(view):
                audit.findings.append(Finding("url", route or "/", f"{_view_name(view)}: async"))
            else:
                audit.findings.append(_sync_view(route, view))


def _middleware_owner(path_: str) -> str:
    try:
        cls = import_string(path_)
    except ImportError:
        return path_
    return f"{cls.__module__}.{cls.__qualname__}"


def _load_application(path: str) -> ASGIApplication:
    module_path, _, attr = path.partition(":")
    if attr:
        return getattr(importlib.import_module(module_path), attr)  # type: ignore[no-any-return]
    try:
        return import_string(path)  # type: ignore[no-any-return]
    except ImportError:  # a module: its "application"
        return importlib.import_module(path).application  # type: ignore[no-any-return]


def _unwrap(app: Any) -> Any:
    """The HTTP application inside routers and ASGI middleware (Channels' router included)."""
    for _ in range(20):
        mapping = getattr(app, "application_mapping", None)
        if isinstance(mapping, dict) and "http" in mapping:
            app = mapping["http"]
        elif isinstance(app, AsyncxApplication):
            return app
        elif hasattr(app, "app"):
            app = app.app
        else:
            return app
    return app


def _application(asgi: str | None) -> tuple[ASGIApplication, Finding, bool]:
    path = asgi or getattr(settings, "ASGI_APPLICATION", None)
    wsgi = getattr(settings, "WSGI_APPLICATION", None)
    if path is None and isinstance(wsgi, str) and wsgi.endswith(".wsgi.application"):
        candidate = wsgi.removesuffix(".wsgi.application") + ".asgi"
        if importlib.util.find_spec(candidate.split(".")[0]) is not None:
            try:
                if importlib.util.find_spec(candidate) is not None:
                    path = candidate + ".application"
            except ModuleNotFoundError:
                path = None
    if path is None:
        detail = (
            "no ASGI_APPLICATION and no asgi.py next to WSGI_APPLICATION: measured with "
            "django_asyncx's handler"
        )
        fix = "set ASGI_APPLICATION, or pass --asgi module:application"
        return (
            ASGIHandler(),
            Finding("asgi", "django_asyncx.handler.ASGIHandler", detail, 0, fix),
            True,
        )
    app = _load_application(path)
    inner = _unwrap(app)
    if isinstance(inner, AsyncxApplication):
        inner = inner.http
    if isinstance(inner, ASGIHandler):
        return app, Finding("asgi", path, "django_asyncx's application: measured as served"), True
    kind = f"{type(inner).__module__}.{type(inner).__qualname__}"
    detail = f"not django_asyncx's: {kind}; measured as served"
    fix = (
        "in asgi.py: from django_asyncx.asgi import get_asgi_application (lifespan, per-loop "
        "resources, no needless thread hops)"
    )
    return app, Finding("asgi", path, detail, 0, fix), False


async def _measure(app: ASGIApplication) -> tuple[int, dict[str, int], int]:
    # One request to warm up (lazy imports, URL resolver, a lazy lifespan), then the one
    # counted.
    await arequest(app, "GET", PROBE_PATH)
    with count_hops() as hops:
        result = await arequest(app, "GET", PROBE_PATH)
    return result.status, hops.by_owner(), hops.count


def _capability(path_: str, mode: str) -> str:
    try:
        cls = import_string(path_)
    except ImportError:
        return "cannot be imported"
    if issubclass(cls, LoopMiddlewareMixin):
        return "async-native"
    if mode == "loop":
        return "MiddlewareMixin declared loop-safe: its hooks run on the loop"
    if mode == "sync" and issubclass(cls, MiddlewareMixin):
        return "MiddlewareMixin: its hooks run in a thread"
    if mode == "async" or (not mode and getattr(cls, "async_capable", False)):
        return "async-capable"
    return "sync-only"


def _modes(ours: bool) -> list[tuple[str, str]]:
    """Each middleware path with how django_asyncx's handler runs it ("" for Django's)."""
    declared = asyncx_settings.LOOP_SAFE_MIDDLEWARE
    found = []
    for path_ in settings.MIDDLEWARE:
        try:
            cls = import_string(path_)
        except ImportError:
            found.append((path_, ""))
            continue
        found.append((path_, middleware_mode(cls, path_, declared) if ours else ""))
    return found


def _sync_fix(path_: str, run: list[str]) -> str:
    drop_in = DROP_INS.get(path_)
    if drop_in:
        return f"replace with {drop_in} (no hop)"
    try:
        mixin = issubclass(import_string(path_), MiddlewareMixin)
    except ImportError:
        mixin = False
    first = (
        'if its hooks do no blocking I/O, list it in ASYNCX["LOOP_SAFE_MIDDLEWARE"] (no hop); '
        if mixin
        else "make it async-capable (async_capable = True and an async __call__); "
    )
    if len(run) > 1:
        return first + f"else it shares one hop with {', '.join(p for p in run if p != path_)}"
    return first + "else keep it next to the other sync middleware: each run costs one hop"


def _audit_middleware(audit: Audit, asgi: str | None) -> None:
    app, finding, ours = _application(asgi)
    audit.application, audit.application_is_asyncx = finding.name, ours
    audit.findings.append(finding)
    urls = _ProbeURLs(get_resolver().url_patterns)
    with override_settings(ROOT_URLCONF=urls):
        status, by_owner, total = asyncio.run(_measure(app))
    audit.probe_status = status
    audit.hops_per_request = total
    modes = _modes(ours)
    # Each contiguous run of middleware in sync mode runs in one hop (django_asyncx's handler).
    runs: dict[str, list[str]] = {}
    current: list[str] = []
    for path_, mode in modes:
        if mode == "sync":
            current.append(path_)
            runs[path_] = current
        else:
            current = []
    accounted = 0
    for path_, mode in modes:
        hops = by_owner.get(_middleware_owner(path_), 0)
        accounted += hops
        run = runs.get(path_, [])
        fix = ""
        if run:
            fix = _sync_fix(path_, run)
        elif hops:
            drop_in = DROP_INS.get(path_)
            fix = (
                f"replace with {drop_in}"
                if drop_in
                else "make it async-capable (async_capable = True and an async __call__)"
            )
        detail = f"{_capability(path_, mode)}; {hops} thread hop(s) per request"
        if len(run) > 1:
            where = "first of" if run[0] == path_ else "in"
            detail += f" ({where} a run of {len(run)} sync middleware sharing one hop)"
        audit.findings.append(Finding("middleware", path_, detail, hops, fix))
    rest = total - accounted
    if rest == 0:
        fix = ""
    elif not ours:
        fix = "Django's own handler sends request signals and closes responses in threads"
    elif accounted:
        fix = (
            "Django's connection cleanup runs in the request's sync thread, which the "
            "middleware above created; it goes when they are replaced"
        )
    else:
        fix = "sync signal receivers (below) run in a thread; make them async"
    audit.findings.append(
        Finding(
            "handler",
            "request handling (signals, closing)",
            f"{rest} thread hop(s) per request outside the middleware",
            rest,
            fix,
        )
    )


def _audit_signals(audit: Audit) -> None:
    ours = audit.application_is_asyncx
    for signal, name in (
        (signals.request_started, "request_started"),
        (signals.request_finished, "request_finished"),
    ):
        sync_receivers, _ = signal._live_receivers(None)
        for receiver in sync_receivers:
            label, owner = describe(receiver)
            module = getattr(receiver, "__module__", owner)
            qualified = f"{module}.{getattr(receiver, '__qualname__', label)}"
            hop_free = classify_receiver(receiver) is not ReceiverRun.IN_THREAD
            if ours and (qualified in _KNOWN_RECEIVERS or hop_free):
                detail = "sync; handled without a hop by django_asyncx's handler"
                audit.findings.append(Finding("signal", f"{name}: {qualified}", detail))
            else:
                audit.findings.append(
                    Finding(
                        "signal",
                        f"{name}: {qualified}",
                        "sync receiver: one thread hop per request (all sync receivers share it)",
                        1,
                        "make it an async function"
                        if ours
                        else "serve the project with django_asyncx's application (see above)",
                    )
                )


_KNOWN_RECEIVERS = {
    "django.db.close_old_connections",
    "django.db.reset_queries",
    "django.core.handlers.base.reset_urlconf",
    "django.core.cache.close_caches",
}

_CACHE_PATHS = {
    "redis": ("native async through redis.asyncio: never blocks the loop", ""),
    "memory": ("in-process memory: no I/O, read on the loop", ""),
    "db": ("reached through the DB bridge (run_in_db)", "use RedisCache for native async"),
    "thread": (
        "blocking client: reached on the 'blocking' executor",
        "use django.core.cache.backends.redis.RedisCache for native async reads and writes",
    ),
}


def _audit_caches(audit: Audit) -> None:
    for alias in settings.CACHES:
        cache = caches[alias]
        detail, fix = _CACHE_PATHS[cache_path(cache)]
        backend = f"{type(cache).__module__}.{type(cache).__qualname__}"
        audit.findings.append(Finding("cache", alias, f"{backend}: {detail}", 0, fix))


def run_audit(*, asgi: str | None = None) -> Audit:
    """Audit the current project (Django must be set up); see the module docstring.

    Sends two requests in-process to a probe view through the project's ASGI application
    (``asgi``: ``"module:attribute"``, a dotted path to the application or to a module with
    an ``application``; by default ``ASGI_APPLICATION`` or the ``asgi.py`` beside
    ``WSGI_APPLICATION``); call it from sync code (it runs its own event loop).
    """
    audit = Audit()
    _audit_patterns(audit, get_resolver().url_patterns)
    _audit_middleware(audit, asgi)
    _audit_signals(audit)
    _audit_caches(audit)
    # Imported here: the consumer audit builds on this module's Finding.
    from .consumer_audit import consumer_findings

    audit.findings += consumer_findings(_application(asgi)[0])
    return audit
