"""What makes a project's async requests slow, measured: the engine of ``manage.py asyncx_audit``.

:func:`run_audit` returns an :class:`Audit` with

- every URL pattern, its view and whether the view is async (a sync view costs a thread
  hop per request, and one more to close the request in that thread);
- every middleware and the thread hops it costs per request, **measured** by sending a
  ``GET`` through the project's middleware and :class:`django_asyncx.handler.ASGIHandler` to a
  trivial async probe view with :func:`django_asyncx.hops.count_hops`;
- the hops the handler itself makes for that request (signal receivers, closing);
- the sync receivers of ``request_started``/``request_finished``;
- each cache backend and how a non-blocking read reaches it;

and for each finding the drop-in or change that removes it.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.core import signals
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.test.utils import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, path
from django.utils.module_loading import import_string

from .handler import ASGIHandler
from .hops import count_hops, describe
from .middleware import DROP_INS
from .receivers import ReceiverRun, classify_receiver
from .testing.client import arequest
from .views._base import is_async_view
from .views.cache import cache_path

__all__ = ["PROBE_PATH", "Audit", "Finding", "probe_urlpatterns", "run_audit"]

PROBE_PATH = "/__asyncx_audit_probe__/"


@dataclass(slots=True)
class Finding:
    """One thing the audit looked at: what, its state, its cost in hops, and the fix."""

    kind: str  # "url", "middleware", "handler", "signal", "cache"
    name: str
    detail: str
    hops: int = 0
    fix: str = ""


@dataclass(slots=True)
class Audit:
    """The audit of the current project (see the module docstring)."""

    findings: list[Finding] = field(default_factory=list)
    hops_per_request: int = 0
    probe_status: int = 0

    def of(self, kind: str) -> list[Finding]:
        """The findings of one kind."""
        return [f for f in self.findings if f.kind == kind]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``hops_per_request``, ``probe_status`` and ``findings``."""
        return {
            "hops_per_request": self.hops_per_request,
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


def _audit_urls(audit: Audit) -> None:
    for route, view in _walk(get_resolver().url_patterns):
        if is_async_view(view):
            audit.findings.append(Finding("url", route or "/", f"{_view_name(view)}: async"))
        else:
            audit.findings.append(
                Finding(
                    "url",
                    route or "/",
                    f"{_view_name(view)}: sync",
                    hops=2,
                    fix=(
                        "make it async, or wrap it in django_asyncx.views.async_view to run "
                        "it on the bounded DB pool (1 hop instead of 2)"
                    ),
                )
            )


def _middleware_owner(path_: str) -> str:
    try:
        cls = import_string(path_)
    except ImportError:
        return path_
    return f"{cls.__module__}.{cls.__qualname__}"


async def _measure() -> tuple[int, dict[str, int], int]:
    handler = ASGIHandler()
    # One request to warm up (lazy imports, URL resolver), then the one counted.
    await arequest(handler, "GET", PROBE_PATH)
    with count_hops() as hops:
        result = await arequest(handler, "GET", PROBE_PATH)
    return result.status, hops.by_owner(), hops.count


def _audit_middleware(audit: Audit) -> None:
    urls = _ProbeURLs(get_resolver().url_patterns)
    with override_settings(ROOT_URLCONF=urls):
        status, by_owner, total = asyncio.run(_measure())
    audit.probe_status = status
    audit.hops_per_request = total
    owners = {path_: _middleware_owner(path_) for path_ in settings.MIDDLEWARE}
    accounted = 0
    for path_, owner in owners.items():
        hops = by_owner.get(owner, 0)
        accounted += hops
        fix = ""
        if hops:
            drop_in = DROP_INS.get(path_)
            fix = (
                f"replace with {drop_in}"
                if drop_in
                else "make it async-capable (async_capable = True and an async __call__)"
            )
        audit.findings.append(
            Finding("middleware", path_, f"{hops} thread hop(s) per request", hops, fix)
        )
    rest = total - accounted
    if rest == 0:
        fix = ""
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
            if qualified in _KNOWN_RECEIVERS or hop_free:
                detail = "sync; handled without a hop by django_asyncx's handler"
                audit.findings.append(Finding("signal", f"{name}: {qualified}", detail))
            else:
                audit.findings.append(
                    Finding(
                        "signal",
                        f"{name}: {qualified}",
                        "sync receiver: one thread hop per request (all sync receivers share it)",
                        1,
                        "make it an async function",
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


def run_audit() -> Audit:
    """Audit the current project (Django must be set up); see the module docstring.

    Sends two requests in-process to a probe view through the project's middleware; call it
    from sync code (it runs its own event loop).
    """
    audit = Audit()
    _audit_urls(audit)
    _audit_middleware(audit)
    _audit_signals(audit)
    _audit_caches(audit)
    return audit
