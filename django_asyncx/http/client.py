"""Named HTTP clients on aiohttp, one session per (event loop, client).

::

    from django_asyncx.http import get_client

    github = get_client("github")            # ASYNCX["HTTP_CLIENTS"]["github"]
    response = await github.get("repos/django/django")
    data = response.json()

Each call reads the body (up to ``max_body_size``) and returns the connection to the pool
before it returns, so nothing is left to close; :meth:`Client.stream` is the way to read a
large body piece by piece. The aiohttp session behind a client is created on first use in
each event loop and closed with that loop or at lifespan shutdown
(:class:`~django_asyncx.loops.LoopResource`), so one process can serve several loops
(tests, ``runserver``, threads) without "Event loop is closed".
"""

from __future__ import annotations

import asyncio
import copy
import ipaddress
import logging
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from functools import partialmethod
from typing import Any, Final
from urllib.parse import unquote

import aiohttp
from multidict import CIMultiDict
from yarl import URL

from django_asyncx.conf import asyncx_settings
from django_asyncx.exceptions import (
    BlockedDestination,
    ConfigurationError,
    InvalidHeader,
    UpstreamConnectionError,
    UpstreamError,
    UpstreamStatusError,
    UpstreamTimeout,
)
from django_asyncx.loops import LoopResource
from django_asyncx.observability import metrics
from django_asyncx.options import (
    IDEMPOTENT_METHODS,
    ClientOptions,
    Retry,
    Timeout,
    header_name_error,
    header_value_error,
)

from .fanout import gather as _deprecated_gather
from .retry import Deadline, retry_delay
from .ssrf import Guard, GuardedResolver
from .tracing import CallContext, CallRecord, current_context
from .upstream_response import (
    Response,
    StreamResponse,
    _read_limited,
    _status_error,
    _translate,
)

__all__ = ["DEFAULT", "Client", "confine_to_loopback", "get_client"]

logger = logging.getLogger("django_asyncx.http")


class _Default:
    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT: Final[Any] = _Default()
"""Sentinel for "use the client's setting" in per-call keyword arguments."""

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Dropped on a redirect to another origin, with the client's configured headers and its
# credential_headers (as requests' rebuild_auth and httpx's _redirect_headers do).
_CREDENTIALS = frozenset({"authorization", "cookie", "proxy-authorization"})
_LOOPBACK_NAMES = frozenset({"localhost", "localhost."})

# Client name -> how many Upstream.override_clients blocks confine it to loopback. A test
# that overrides a client must not reach a real service through an absolute URL, a
# redirect, or a Client got before the override.
_confined: dict[str, int] = {}


@contextmanager
def confine_to_loopback(name: str) -> Iterator[None]:
    """In the block, calls of client ``name`` to a non-loopback host fail loudly (tests)."""
    _confined[name] = _confined.get(name, 0) + 1
    try:
        yield
    finally:
        _confined[name] -= 1
        if not _confined[name]:
            del _confined[name]


def _origin(url: URL) -> tuple[str | None, str | None, int | None]:
    return url.scheme, url.host, url.port


def _retryable(error: UpstreamError) -> bool:
    if isinstance(error, UpstreamTimeout):
        return error.phase != "total"
    return isinstance(error, UpstreamConnectionError)


def _public_url(url: URL) -> str:
    # Query strings and user info often hold secrets: errors and logs leave them out.
    return str(url.with_user(None).with_query(None).with_fragment(None))


def _host(url: URL) -> str:
    host = url.raw_host or ""
    return host if url.is_default_port() else f"{host}:{url.port}"


def _session_factory(options: ClientOptions) -> LoopResource[aiohttp.ClientSession]:
    guard = Guard(options.allowed_hosts, allow_private=options.allow_private)

    def create() -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=options.limit,
            limit_per_host=options.limit_per_host,
            resolver=GuardedResolver(guard),
        )
        # No cookie jar: one session serves every user of the process, so a cookie set by
        # an upstream for one request must not ride along on another user's call. No
        # session headers: the configured headers go with each call, so that a redirect
        # to another origin can leave them out.
        session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,
            timeout=aiohttp.ClientTimeout(total=None),
        )
        # aiohttp resends an idempotent request once, on a new connection, when the server
        # drops it; the retry policy already counts that attempt, so the upstream would see
        # twice as many. The attribute has no public switch (aiohttp 3.10+).
        session._retry_connection = False
        return session

    async def close(session: aiohttp.ClientSession) -> None:
        await session.close()

    return LoopResource(f"django_asyncx.http[{options.name}]", create, close=close)


_sessions: dict[ClientOptions, LoopResource[aiohttp.ClientSession]] = {}
_clients: dict[ClientOptions, Client] = {}


def get_client(name: str = "default") -> Client:
    """The client named ``name`` in ``ASYNCX["HTTP_CLIENTS"]`` (``"default"`` always exists).

    Cheap to call anywhere; the aiohttp session behind it is made on first use in each
    event loop. Raises :class:`ConfigurationError` for a name that is not configured.
    """
    clients = asyncx_settings.HTTP_CLIENTS
    options = clients.get(name)
    if options is None:
        raise ConfigurationError(
            f'get_client() got {name!r}, which is not in ASYNCX["HTTP_CLIENTS"]; '
            f"configured: {', '.join(map(repr, clients))}"
        )
    client = _clients.get(options)
    if client is None:
        client = _clients[options] = Client(options)
    return client


class Client:
    """Makes calls with one named client's options; see :func:`get_client`.

    On a redirect to another origin (scheme, host or port) the call goes on without
    ``Authorization``, ``Cookie``, ``Proxy-Authorization``, the configured ``headers`` and
    the ``credential_headers``; a redirect from https to http is refused.

    Per-call keyword arguments override the client's options: ``timeout`` (seconds, a
    dict or a :class:`~django_asyncx.options.Timeout`), ``retries`` (a number of
    retries, a dict or a :class:`~django_asyncx.options.Retry`), ``idempotent``
    (allow retrying a POST/PATCH), ``max_body_size``, ``raise_for_status``.

    The verbs ``get``, ``head``, ``options``, ``post``, ``put``, ``patch`` and ``delete`` are
    :meth:`request` with the method filled in: ``await client.get(url, **kwargs)``.
    """

    def __init__(self, options: ClientOptions, *, context: CallContext | None = None) -> None:
        self.config = options
        self.context = context
        self._guard = Guard(options.allowed_hosts, allow_private=options.allow_private)
        self._base = URL(options.base_url) if options.base_url else None
        configured = {name.lower() for name, _ in options.headers}
        self._credentials = _CREDENTIALS | configured | set(options.credential_headers)
        self._sessions = _sessions.get(options) or _sessions.setdefault(
            options, _session_factory(options)
        )

    def __repr__(self) -> str:
        return f"<Client {self.config.name!r}>"

    def bind(self, context: CallContext | None) -> Client:
        """A client with the same options that propagates and records into ``context``."""
        bound = copy.copy(self)  # the middleware binds one per request: skip __init__
        bound.context = context
        return bound

    async def session(self) -> aiohttp.ClientSession:
        """This event loop's aiohttp session for the client (made on first use)."""
        return await self._sessions.aget()

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        data: Any = None,
        timeout: Any = DEFAULT,  # noqa: ASYNC109
        retries: Any = DEFAULT,
        idempotent: bool | None = None,
        max_body_size: Any = DEFAULT,
        raise_for_status: Any = DEFAULT,
    ) -> Response:
        """Make a call and read its body; retry, time out and refuse as configured.

        ``url`` is joined to the client's ``base_url`` unless absolute. Raises
        :class:`UpstreamTimeout`, :class:`UpstreamConnectionError`,
        :class:`UpstreamStatusError` (4xx/5xx, unless ``raise_for_status=False``),
        :class:`ResponseTooLarge` or :class:`BlockedDestination`.
        """
        limit = self.config.max_body_size if max_body_size is DEFAULT else max_body_size
        async with self._call(
            method, url, params=params, headers=headers, json=json, data=data,
            timeout=timeout, retries=retries, idempotent=idempotent, limit=limit,
            raise_for_status=raise_for_status, stream=False,
        ) as response:  # fmt: skip
            assert isinstance(response, Response)
            return response

    @asynccontextmanager
    async def stream(self, method: str, url: str, **kwargs: Any) -> AsyncIterator[StreamResponse]:
        """``async with client.stream("GET", url) as r:`` then ``async for c in r.iter_bytes()``.

        Takes the keyword arguments of :meth:`request`; ``max_body_size`` defaults to no
        limit here. Retries happen only before the body starts. The connection is released
        when the block ends, however it ends.
        """
        limit = kwargs.pop("max_body_size", None)
        kwargs.setdefault("timeout", DEFAULT)
        kwargs.setdefault("retries", DEFAULT)
        kwargs.setdefault("raise_for_status", DEFAULT)
        async with self._call(method, url, limit=limit, stream=True, **kwargs) as response:
            assert isinstance(response, StreamResponse)
            yield response

    # ------------------------------------------------------------------ verbs
    # request() with the method filled in (the class docstring); POST and PATCH are not
    # retried unless idempotent=True.

    get = partialmethod(request, "GET")
    head = partialmethod(request, "HEAD")
    options = partialmethod(request, "OPTIONS")
    post = partialmethod(request, "POST")
    put = partialmethod(request, "PUT")
    patch = partialmethod(request, "PATCH")
    delete = partialmethod(request, "DELETE")

    # Deprecated, like django_asyncx.http.gather: use django_asyncx.concurrency.gather.
    gather = staticmethod(_deprecated_gather)

    # ------------------------------------------------------------------ the call

    @asynccontextmanager
    async def _call(
        self, method: str, url: str, *, params: Any = None, headers: Any = None,
        json: Any = None, data: Any = None, timeout: Any, retries: Any,  # noqa: ASYNC109
        idempotent: bool | None = None, limit: int | None, raise_for_status: Any, stream: bool,
    ) -> AsyncIterator[Response | StreamResponse]:  # fmt: skip
        current = get_client(self.config.name) if self.config.name in _confined else self
        if current.config != self.config:  # got before the test's override_clients
            async with current.bind(self.context)._call(
                method, url, params=params, headers=headers, json=json, data=data,
                timeout=timeout, retries=retries, idempotent=idempotent, limit=limit,
                raise_for_status=raise_for_status, stream=stream,
            ) as response:  # fmt: skip
                yield response
            return
        method = method.upper()
        target = self._url(url)
        public = _public_url(target)
        opts = self.config
        times = (
            opts.timeout if timeout is DEFAULT else Timeout.parse(timeout, "timeout", opts.timeout)
        )
        policy = (
            opts.retries if retries is DEFAULT else Retry.parse(retries, "retries", opts.retries)
        )
        check = opts.raise_for_status if raise_for_status is DEFAULT else raise_for_status
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        context = self.context or current_context()
        send_headers: CIMultiDict[str] = CIMultiDict(opts.headers)
        send_headers.update(context.outbound_headers() if context else {})
        send_headers.update(headers or {})
        for name, value in send_headers.items():
            problem = header_name_error(name) or (
                header_value_error(value) if isinstance(value, str) else "a str value"
            )
            if problem:
                raise InvalidHeader(
                    f"{method} {public}: header {name!r} cannot be sent; accepted: {problem}",
                    method=method, url=public, header=name,
                )  # fmt: skip
        session = await self.session()
        loop = asyncio.get_running_loop()
        started = loop.time()
        deadline = Deadline(times.total)
        status: int | None = None
        raw: aiohttp.ClientResponse | None = None
        body: bytes | None = None
        try:
            for attempt in range(policy.max_retries + 1):
                try:
                    raw = await self._send(
                        session, method, target, times, deadline,
                        params=params, headers=send_headers, json=json, data=data,
                    )  # fmt: skip
                    status = raw.status
                    delay = None
                    if idempotent and status in policy.statuses:
                        delay = retry_delay(
                            policy, attempt, retry_after=raw.headers.get("Retry-After"),
                            remaining=deadline.remaining(),
                        )  # fmt: skip
                    if delay is None:  # this response is the answer
                        if not stream or (check and status >= 400):
                            body = await (
                                raw.content.read(UpstreamStatusError.BODY_EXCERPT)
                                if stream
                                else _read_limited(raw, limit, method, public)
                            )
                        break
                    # Reading the (usually short) error body lets the connection be reused.
                    excerpt = await raw.content.read(UpstreamStatusError.BODY_EXCERPT)
                    error: UpstreamError = _status_error(
                        method, public, status, raw.headers, excerpt
                    )
                    raw.release()
                    raw = None
                except (aiohttp.ClientError, TimeoutError, UpstreamError) as exc:
                    if raw is not None:
                        raw.close()
                        raw = None
                    error = _translate(exc, method, public)
                    delay = None
                    if idempotent and _retryable(error):
                        delay = retry_delay(policy, attempt, remaining=deadline.remaining())
                    if delay is None:
                        raise error from (None if error is exc else exc)
                logger.info("%s; retry %d in %.2fs", error, attempt + 1, delay)
                metrics.record_retry(opts.name, method, target, error)
                await asyncio.sleep(delay)
            assert raw is not None
            if body is None:
                yield StreamResponse(method, _public_url(raw.url), raw, limit)
                return
            raw.release()
            response = Response(method, _public_url(raw.url), raw.status, raw.headers, body)
            raw = None
            if check:
                response.raise_for_status()
            yield response
        finally:
            if raw is not None:
                raw.close()
            metrics.record_upstream_call(opts.name, method, target, status, loop.time() - started)
            if context is not None:
                context.records.append(
                    CallRecord(method, _host(target), status, loop.time() - started)
                )

    def _url(self, url: str) -> URL:
        target = URL(url)
        if target.is_absolute() or self._base is None:
            if not target.is_absolute():
                raise ValueError(
                    f"url {url!r} is relative and client {self.config.name!r} has no base_url; "
                    "accepted: an absolute http(s) URL, or set base_url for the client"
                )
            return target
        # Like httpx: the path is appended to base_url's path, not resolved against it.
        # Dot segments are resolved here, so none reaches a server that would resolve them
        # above the base (../../admin, %2e%2e/, ..%2f, and ..;/ which some servers read as
        # .. with a path parameter).
        base = self._base
        segments: list[str] = []
        parts = target.raw_path.lstrip("/").split("/")
        for index, segment in enumerate(parts):
            decoded = unquote(segment).split(";", 1)[0]
            if decoded in (".", ".."):
                if decoded == ".." and not segments:
                    raise self._escape(url, base)
                if decoded == "..":
                    segments.pop()
                if index == len(parts) - 1:
                    segments.append("")
            elif ".." in decoded.replace("\\", "/").split("/"):
                raise self._escape(url, base)
            else:
                segments.append(segment)
        path = base.raw_path.rstrip("/") + "/" + "/".join(segments)
        return base.with_path(path, encoded=True).with_query(target.raw_query_string or None)

    def _escape(self, url: str, base: URL) -> BlockedDestination:
        return BlockedDestination(
            f"url {url!r} leaves the client's base_url {str(base)!r}; accepted: a path below "
            "it (an absolute URL for anything else)",
            host=base.raw_host or "", reason="path outside base_url",
        )  # fmt: skip

    def _check_destination(self, url: URL, previous: URL | None) -> None:
        """Refuse what may not be followed or reached, before connecting to ``url``."""
        host = url.raw_host or ""
        if url.scheme not in ("http", "https"):
            what = f"{url.scheme}: URL" if url.scheme else f"scheme-relative URL //{host}"
            raise BlockedDestination(
                f"refused {what}; only http and https are followed",
                host=host, reason=f"scheme {url.scheme!r}",
            )  # fmt: skip
        if previous is not None and previous.scheme == "https" and url.scheme == "http":
            raise BlockedDestination(
                f"refused a redirect from https to http ({_public_url(url)}): it would send "
                "the call in clear text",
                host=host, reason="downgrade to http",
            )  # fmt: skip
        self._guard.check_literal(host, url.port)
        if self.config.name in _confined and not _is_loopback(host):
            raise BlockedDestination(
                f"client {self.config.name!r} is overridden to a test upstream "
                f"(override_clients), and {_public_url(url)} is not one; call the upstream's "
                "URL or a relative path",
                host=host, reason="not a test upstream",
            )  # fmt: skip

    async def _send(
        self, session: aiohttp.ClientSession, method: str, url: URL, times: Timeout,
        deadline: Deadline, *, params: Any, headers: CIMultiDict[str], json: Any, data: Any,
    ) -> aiohttp.ClientResponse:  # fmt: skip
        """One attempt: send, following redirects ourselves so each hop is re-checked."""
        previous: URL | None = None
        for _ in range(self.config.max_redirects + 1):
            self._check_destination(url, previous)
            remaining = deadline.remaining()
            if remaining is not None and remaining <= 0:
                raise TimeoutError
            raw = await session.request(
                method, url, params=params, headers=headers, json=json, data=data,
                allow_redirects=False, timeout=aiohttp.ClientTimeout(
                    total=remaining, sock_connect=times.connect, sock_read=times.read
                ),
            )  # fmt: skip
            location = raw.headers.get("Location")
            if raw.status not in _REDIRECTS or location is None or not self.config.max_redirects:
                return raw
            raw.release()
            next_url = url.join(URL(location))
            if _origin(next_url) != _origin(url):
                headers = CIMultiDict(
                    (k, v) for k, v in headers.items() if k.lower() not in self._credentials
                )
            if (raw.status == 303 and method != "HEAD") or (
                raw.status in (301, 302) and method == "POST"
            ):
                method, json, data = "GET", None, None
            previous, url, params = url, next_url, None
        raise UpstreamError(
            f"{method} {_public_url(url)}: more than max_redirects={self.config.max_redirects} "
            "redirects",
            method=method,
            url=_public_url(url),
        )


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
