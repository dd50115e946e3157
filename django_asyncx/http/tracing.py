"""What an incoming request passes on to the calls it makes, and what it learns from them.

:class:`CallContext` holds the request id and the W3C trace context of the request being
served, and records each outbound call (method, host, status, duration).
``HttpClientMiddleware`` makes one per request and makes it current (a context variable),
so every client used while serving the request, ``request.http`` or ``get_client("github")``,
sends the ``X-Request-ID``/``traceparent`` headers and reports its timings. Only these
headers cross over: never the request's cookies or ``Authorization``. When OpenTelemetry is
configured, the trace headers are its propagators' (:mod:`django_asyncx.observability.tracing`).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django_asyncx.observability.tracing import inject_trace_context

__all__ = ["CallContext", "CallRecord", "current_context", "truncate_tracestate", "use_context"]

_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,200}")
_TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
_TRACESTATE_MEMBERS = 32
_TRACESTATE_LENGTH = 512
_TRACESTATE_LONG_MEMBER = 128
_current: ContextVar[CallContext | None] = ContextVar("django_asyncx.http.context", default=None)


@dataclass(slots=True)
class CallRecord:
    """One outbound call: ``status`` is ``None`` when no response came (error, timeout)."""

    method: str
    host: str
    status: int | None
    duration: float  # seconds, retries included


@dataclass(slots=True)
class CallContext:
    """The propagation data of one incoming request and the calls it made.

    Build it with :meth:`from_headers`; ``outbound_headers()`` gives the headers for one
    call (a new span id each time); ``records`` lists finished calls in order.
    """

    request_id: str
    trace_id: str
    trace_flags: str = "00"
    tracestate: str | None = None
    request_id_header: str = "X-Request-ID"
    records: list[CallRecord] = field(default_factory=list)

    @classmethod
    def from_headers(
        cls, headers: Mapping[str, str], *, request_id_header: str = "X-Request-ID"
    ) -> CallContext:
        """Read the request id and ``traceparent``/``tracestate`` from incoming headers.

        A request id that is missing, too long or holds characters outside
        ``[A-Za-z0-9._:@/+=-]`` is replaced by a new random one, so a client cannot inject
        header syntax into the calls; an invalid ``traceparent`` starts a new trace.
        """
        request_id = headers.get(request_id_header, "")
        if not _SAFE_REQUEST_ID.fullmatch(request_id):
            request_id = secrets.token_hex(16)
        match = _TRACEPARENT.fullmatch(headers.get("traceparent", "").strip().lower())
        if match and match[1] != "0" * 32 and match[2] != "0" * 16:
            trace_id, flags = match[1], match[3]
            tracestate = truncate_tracestate(headers.get("tracestate", ""))
        else:
            trace_id, flags, tracestate = secrets.token_hex(16), "00", None
        return cls(
            request_id=request_id,
            trace_id=trace_id,
            trace_flags=flags,
            tracestate=tracestate,
            request_id_header=request_id_header,
        )

    def outbound_headers(self) -> dict[str, str]:
        """The headers one outbound call carries: request id, ``traceparent``, ``tracestate``.

        With OpenTelemetry configured and a span current, the trace context is the span's,
        written by OpenTelemetry's propagators; otherwise it continues the incoming trace
        with a new span id.
        """
        headers = {self.request_id_header: self.request_id}
        if inject_trace_context(headers):
            return headers
        headers["traceparent"] = f"00-{self.trace_id}-{secrets.token_hex(8)}-{self.trace_flags}"
        if self.tracestate:
            headers["tracestate"] = self.tracestate
        return headers

    def server_timing(self) -> str:
        """The ``Server-Timing`` value for the recorded calls, one metric per call.

        Example: ``upstream-1;desc="GET api.example.com 200";dur=102.4``.
        """
        metrics = []
        for index, record in enumerate(self.records, 1):
            status = "error" if record.status is None else record.status
            desc = f"{record.method} {record.host} {status}".replace('"', "")
            metrics.append(f'upstream-{index};desc="{desc}";dur={record.duration * 1000:.1f}')
        return ", ".join(metrics)


def truncate_tracestate(value: str) -> str | None:
    """``value`` cut to the W3C trace-context limits, or ``None`` when nothing is left.

    Empty members are dropped; at most 32 members are kept (the right-most go); then, while
    the header is longer than 512 characters, members longer than 128 characters go first,
    then members from the right. Members are never cut in the middle.
    """
    members = [member.strip() for member in value.split(",")]
    members = [member for member in members if member][:_TRACESTATE_MEMBERS]
    while len(",".join(members)) > _TRACESTATE_LENGTH:
        long = [m for m in members if len(m) > _TRACESTATE_LONG_MEMBER]
        members.remove(long[-1] if long else members[-1])
    return ",".join(members) or None


def current_context() -> CallContext | None:
    """The :class:`CallContext` of the request being served, or ``None`` outside one."""
    return _current.get()


@contextmanager
def use_context(context: CallContext | None) -> Iterator[CallContext | None]:
    """Make ``context`` current for the block (the middleware does this per request)."""
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)
