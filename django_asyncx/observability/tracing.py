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
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer

__all__ = [
    "SCOPE",
    "active_tracer",
    "failed_prepare_span",
    "inject_trace_context",
    "native_query_span",
]

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


def native_query_span(
    raw: Any, statement: str, call: Callable[..., Any]
) -> AbstractContextManager[None]:
    """The client span of one native-engine statement on the asyncpg connection ``raw``,
    run by ``call`` (a prepared statement's ``fetch``).

    What ``opentelemetry-instrumentation-asyncpg`` records for ``Connection.fetch``: named
    after the statement's first word, ``SpanKind.CLIENT``, ``db.system``, ``db.name``,
    ``db.user``, ``net.peer.*``, ``db.statement`` (or their stable names when
    ``OTEL_SEMCONV_STABILITY_OPT_IN`` has ``database``), parameters never recorded; an
    error sets the status to ``ERROR``. A no-op context when there is no tracer, or when
    that instrumentation wraps ``call`` itself (its releases since May 2026 wrap prepared
    statements), so that a query is never traced twice.
    """
    tracer = active_tracer()
    if tracer is None or _instrumented(call):
        return _NO_SPAN
    return _query_span(tracer, raw, statement)


def _instrumented(call: Callable[..., Any]) -> bool:
    # Instrumentations wrap with wrapt, whose wrappers carry their wrapper function;
    # asyncpg's own decorators are functools.wraps, which have no such attribute.
    return getattr(call, "_self_wrapper", None) is not None


def failed_prepare_span(raw: Any, statement: str) -> AbstractContextManager[None]:
    """Around the prepare of ``statement``: nothing, unless it fails; then the error span
    :func:`native_query_span` would have made for running it.

    The engine prepares a statement before it runs it, and a statement the server refuses
    (an unknown column, a syntax error) fails there, where no instrumentation looks:
    ``Connection.fetch`` would have failed inside asyncpg's instrumented call instead.
    """
    tracer = active_tracer()
    if tracer is None:
        return _NO_SPAN
    return _failed_prepare_span(tracer, raw, statement)


@contextmanager
def _failed_prepare_span(tracer: Tracer, raw: Any, statement: str) -> Iterator[None]:
    import time

    from opentelemetry.trace import SpanKind, Status, StatusCode

    start = time.time_ns()
    try:
        yield
    except Exception as exc:
        name, attributes, new = _span_start(raw, statement)
        span = tracer.start_span(
            name, kind=SpanKind.CLIENT, attributes=attributes, start_time=start
        )
        span.set_status(Status(StatusCode.ERROR))
        if new:
            span.set_attribute("error.type", type(exc).__qualname__)
        span.record_exception(exc)
        span.end()
        raise


def _span_start(raw: Any, statement: str) -> tuple[str, dict[str, str | int], bool]:
    # The span's name, its attributes, and whether the stable names are in use.
    old, new = _database_conventions()
    params = getattr(raw, "_params", None)
    words = _LEADING_COMMENT.sub("", statement or getattr(params, "database", "")).split()
    return words[0] if words else "", _query_attributes(raw, params, statement, old, new), new


@contextmanager
def _query_span(tracer: Tracer, raw: Any, statement: str) -> Iterator[None]:
    from opentelemetry.trace import SpanKind, Status, StatusCode

    name, attributes, new = _span_start(raw, statement)
    with tracer.start_as_current_span(name, kind=SpanKind.CLIENT, attributes=attributes) as span:
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
