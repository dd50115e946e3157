"""OpenTelemetry spans for the work the standard instrumentations cannot see.

With a real ``TracerProvider`` set (``opentelemetry.trace.set_tracer_provider``), the
request span comes from the ASGI or Django instrumentation, bridge queries from psycopg's
(context variables reach the pool thread: the bridge runs each call in a copy of the
caller's context), upstream calls from aiohttp's. Two pieces are left, and this module does
them:

* the native engine sends its queries through asyncpg's private protocol methods, which
  ``opentelemetry-instrumentation-asyncpg`` does not wrap: :func:`native_query_span` makes
  the span that instrumentation makes for a public asyncpg call (same name, kind and
  attributes, ``OTEL_SEMCONV_STABILITY_OPT_IN`` honoured);
* :func:`inject_trace_context` writes ``traceparent``/``tracestate`` with OpenTelemetry's
  propagators, so the hand-written propagation of :mod:`django_asyncx.http.tracing` defers
  to them.

OpenTelemetry is never imported here before the program imported it: a provider cannot be
set without importing ``opentelemetry.trace``, so until then every hook is one
``sys.modules`` lookup and makes nothing.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator, MutableMapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer

__all__ = ["SCOPE", "active_tracer", "inject_trace_context", "native_query_span"]

SCOPE = "django_asyncx"
"""The instrumentation scope (tracer name) of the spans this package makes."""

_TRACE = "opentelemetry.trace"
_NO_SPAN: AbstractContextManager[None] = nullcontext()
# As opentelemetry-instrumentation-asyncpg names a span: the statement's first word.
_LEADING_COMMENT = re.compile(r"^/\*.*?\*/")
_tracers: dict[int, tuple[Any, Tracer]] = {}


def active_tracer() -> Tracer | None:
    """The tracer for this package's spans, or ``None`` when no real provider is set.

    ``None`` as well while instrumentation is suppressed
    (``opentelemetry.instrumentation.utils.suppress_instrumentation``).
    """
    # The module itself, not an import statement: this runs for every query and call.
    trace = sys.modules.get(_TRACE)
    if trace is None:
        return None
    provider = trace.get_tracer_provider()
    if isinstance(provider, trace.ProxyTracerProvider | trace.NoOpTracerProvider):
        return None
    from opentelemetry import context

    if context.get_value(context._SUPPRESS_INSTRUMENTATION_KEY):
        return None
    cached = _tracers.get(id(provider))
    if cached is None or cached[0] is not provider:
        from django_asyncx import __version__

        cached = _tracers[id(provider)] = (provider, provider.get_tracer(SCOPE, __version__))
    return cached[1]


def inject_trace_context(headers: MutableMapping[str, str]) -> bool:
    """Write the current span's trace context into ``headers`` with OpenTelemetry's
    propagators (``OTEL_PROPAGATORS``; W3C ``traceparent``/``tracestate`` by default).

    Returns ``False``, writing nothing, when no real provider is set or no span is current:
    the caller then propagates by hand.
    """
    if active_tracer() is None:
        return False
    from opentelemetry import propagate, trace

    if not trace.get_current_span().get_span_context().is_valid:
        return False
    propagate.inject(headers)
    return True


def native_query_span(raw: Any, statement: str) -> AbstractContextManager[None]:
    """The client span of one native-engine statement on the asyncpg connection ``raw``.

    What ``opentelemetry-instrumentation-asyncpg`` records for ``Connection.fetch``: named
    after the statement's first word, ``SpanKind.CLIENT``, ``db.system``, ``db.name``,
    ``db.user``, ``net.peer.*``, ``db.statement`` (or their stable names when
    ``OTEL_SEMCONV_STABILITY_OPT_IN`` has ``database``), parameters never recorded; an
    error sets the status to ``ERROR``. A no-op context when there is no tracer.
    """
    tracer = active_tracer()
    if tracer is None:
        return _NO_SPAN
    return _query_span(tracer, raw, statement)


@contextmanager
def _query_span(tracer: Tracer, raw: Any, statement: str) -> Iterator[None]:
    from opentelemetry.trace import SpanKind, Status, StatusCode

    old, new = _database_conventions()
    params = getattr(raw, "_params", None)
    words = _LEADING_COMMENT.sub("", statement or getattr(params, "database", "")).split()
    attributes = _query_attributes(raw, params, statement, old, new)
    with tracer.start_as_current_span(
        words[0] if words else "", kind=SpanKind.CLIENT, attributes=attributes
    ) as span:
        try:
            yield
        except Exception as exc:
            if span.is_recording():
                span.set_status(Status(StatusCode.ERROR))
                if new:
                    span.set_attribute("error.type", type(exc).__qualname__)
            raise


@cache  # read once, as the instrumentations read it when they are enabled
def _database_conventions() -> tuple[bool, bool]:
    """(old names, stable names) for database spans, from ``OTEL_SEMCONV_STABILITY_OPT_IN``."""
    value = os.environ.get("OTEL_SEMCONV_STABILITY_OPT_IN", "")
    opt_in = {part.strip() for part in value.split(",")}
    if "database/dup" in opt_in:
        return True, True
    if "database" in opt_in:
        return False, True
    return True, False


def _query_attributes(
    raw: Any, params: Any, statement: str, old: bool, new: bool
) -> dict[str, str | int]:
    attributes: dict[str, str | int] = {}

    def put(old_key: str | None, new_key: str | None, value: str | int | None) -> None:
        if value:
            if old and old_key:
                attributes[old_key] = value
            if new and new_key:
                attributes[new_key] = value

    put("db.system", "db.system.name", "postgresql")
    put("db.name", "db.namespace", getattr(params, "database", None))
    put("db.user", None, getattr(params, "user", None))  # no stable name
    # asyncpg's _addr: (host, port), or a Unix socket's path.
    addr = getattr(raw, "_addr", None)
    if isinstance(addr, tuple):
        put("net.peer.name", "server.address", addr[0])
        put("net.peer.port", "server.port", int(addr[1]))
        put("net.transport", None, "ip_tcp")
        put(None, "network.transport", "tcp")
    elif isinstance(addr, str):
        put("net.peer.name", "server.address", addr)
        put("net.transport", None, "other")
        put(None, "network.transport", "pipe")
    if old:
        attributes["db.statement"] = statement
    if new:
        attributes["db.query.text"] = statement
    return attributes
