"""What a call returns: :class:`Response` (body read) and :class:`StreamResponse`.

Also the translation of aiohttp's and asyncio's failures into
:class:`~django_asyncx.exceptions.UpstreamError` and its kinds, shared by both.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy

from django_asyncx.exceptions import (
    BlockedDestination,
    ResponseTooLarge,
    UpstreamConnectionError,
    UpstreamError,
    UpstreamStatusError,
    UpstreamTimeout,
)

__all__ = ["Response", "StreamResponse"]


class Response:
    """A finished call: status, headers and the whole body (already read, within the limit)."""

    __slots__ = ("content", "headers", "method", "status", "url")

    def __init__(
        self, method: str, url: str, status: int, headers: CIMultiDictProxy[str], content: bytes
    ) -> None:
        self.method = method
        self.url = url
        self.status = status
        self.headers = headers
        self.content = content

    def __repr__(self) -> str:
        return f"<Response {self.status} {self.method} {self.url}>"

    @property
    def ok(self) -> bool:
        """Whether the status is below 400."""
        return self.status < 400

    def read(self) -> bytes:
        """The body as bytes."""
        return self.content

    def text(self, encoding: str | None = None) -> str:
        """The body decoded with ``encoding``, else the Content-Type charset, else UTF-8."""
        if encoding is None:
            content_type = self.headers.get("Content-Type", "")
            _, _, params = content_type.partition(";")
            for param in params.split(";"):
                key, _, value = param.strip().partition("=")
                if key.lower() == "charset" and value:
                    encoding = value.strip('"')
        return self.content.decode(encoding or "utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON."""
        return jsonlib.loads(self.content)

    def raise_for_status(self) -> None:
        """Raise :class:`UpstreamStatusError` for a 4xx/5xx status."""
        if self.status >= 400:
            raise _status_error(self.method, self.url, self.status, self.headers, self.content)


class StreamResponse:
    """A response whose body is read as it arrives: ``async for chunk in r.iter_bytes()``."""

    def __init__(self, method: str, url: str, raw: aiohttp.ClientResponse, limit: int | None):
        self.method = method
        self.url = url
        self.status = raw.status
        self.headers = raw.headers
        self.raw = raw
        self._limit = limit

    def __repr__(self) -> str:
        return f"<StreamResponse {self.status} {self.method} {self.url}>"

    async def iter_bytes(self, chunk_size: int = 64 * 1024) -> AsyncIterator[bytes]:
        """Yield the body in chunks of at most ``chunk_size`` bytes, within ``max_body_size``."""
        received = 0
        try:
            async for chunk in self.raw.content.iter_chunked(chunk_size):
                received += len(chunk)
                if self._limit is not None and received > self._limit:
                    raise _too_large(self.method, self.url, self._limit)
                yield chunk
        except aiohttp.ClientError as exc:
            raise _translate(exc, self.method, self.url) from exc
        except TimeoutError as exc:
            raise _translate(exc, self.method, self.url) from exc

    async def aread(self) -> bytes:
        """The rest of the body, within ``max_body_size``."""
        return b"".join([chunk async for chunk in self.iter_bytes()])


def _too_large(method: str, url: str, limit: int) -> ResponseTooLarge:
    return ResponseTooLarge(
        f"{method} {url}: response body is larger than max_body_size={limit} bytes",
        method=method,
        url=url,
        limit=limit,
    )


def _status_error(
    method: str, url: str, status: int, headers: CIMultiDictProxy[str], body: bytes
) -> UpstreamStatusError:
    return UpstreamStatusError(
        f"{method} {url} answered {status}", method=method, url=url, status=status,
        body=body, headers=headers,
    )  # fmt: skip


def _translate(exc: BaseException, method: str, url: str) -> UpstreamError:
    """The django_asyncx error for an aiohttp/asyncio failure of ``method url``."""
    where = f"{method} {url}"
    if isinstance(exc, aiohttp.ClientConnectorError) and isinstance(
        exc.os_error, BlockedDestination
    ):
        exc = exc.os_error
    if isinstance(exc, UpstreamError):
        exc.method, exc.url = method, url
        return exc
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return UpstreamTimeout(f"{where}: connect timeout", method=method, url=url, phase="connect")
    if isinstance(exc, aiohttp.SocketTimeoutError):
        return UpstreamTimeout(f"{where}: read timeout", method=method, url=url, phase="read")
    if isinstance(exc, TimeoutError):
        return UpstreamTimeout(f"{where}: total timeout", method=method, url=url, phase="total")
    if isinstance(exc, aiohttp.ClientConnectionError | aiohttp.ClientPayloadError):
        return UpstreamConnectionError(
            f"{where}: {type(exc).__name__}: {exc}", method=method, url=url
        )
    return UpstreamError(f"{where}: {type(exc).__name__}: {exc}", method=method, url=url)


async def _read_limited(
    raw: aiohttp.ClientResponse, limit: int | None, method: str, url: str
) -> bytes:
    if limit is not None and (raw.content_length or 0) > limit:
        raise _too_large(method, url, limit)
    chunks, received = [], 0
    async for chunk in raw.content.iter_any():
        received += len(chunk)
        if limit is not None and received > limit:
            raise _too_large(method, url, limit)
        chunks.append(chunk)
    return b"".join(chunks)
