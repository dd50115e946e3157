"""WhiteNoise on the event loop: static files served with no thread hop.

WhiteNoise's middleware is sync-only: under an async stack Django runs it in a thread (two
hops), and its file response is a sync iterator, which Django's ASGI handler reads whole in
a third. :class:`WhiteNoiseMiddleware` subclasses WhiteNoise's and keeps its machinery (the
file index, the ``WHITENOISE_*`` settings, the headers, the choice of a gzip or brotli
variant by ``Accept-Encoding``, ``304 Not Modified``, single ``Range`` requests, ``HEAD``,
redirects of index files); only the serving is its own:

- the files up to :attr:`~WhiteNoiseMiddleware.memory_file_max` bytes (each variant
  counted alone) are read into memory when the middleware loads, before the server serves:
  a request for one is answered from memory, on the loop, in one message;
- a larger file is streamed in chunks of :attr:`~WhiteNoiseMiddleware.chunk_size` bytes,
  each read in a worker thread, so the loop never waits on the disk;
- with ``WHITENOISE_AUTOREFRESH`` (the default under ``DEBUG``), WhiteNoise looks each file
  up on the disk per request, and small files are read per request: both on the loop, as
  local reads of a development checkout.

Under WSGI (a sync stack) it is WhiteNoise's own middleware.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from http import HTTPStatus
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from whitenoise import middleware
from whitenoise.responders import NOT_ALLOWED_RESPONSE, StaticFile

__all__ = ["WhiteNoiseMiddleware"]

# What to send: (status, headers, file path or None, first byte, byte count).
_Plan = tuple[int, list[tuple[str, str]], str | None, int, int]


def _plan(static_file: Any, method: str, meta: dict[str, Any]) -> _Plan:
    """WhiteNoise's ``StaticFile.get_response`` without opening the file."""
    if not isinstance(static_file, StaticFile):  # a Redirect
        response = static_file.get_response(method, meta)
        return int(response.status), list(response.headers), None, 0, 0
    if method not in ("GET", "HEAD"):
        return int(NOT_ALLOWED_RESPONSE.status), list(NOT_ALLOWED_RESPONSE.headers), None, 0, 0
    if static_file.is_not_modified(meta):
        response = static_file.not_modified_response
        return int(response.status), list(response.headers), None, 0, 0
    path, headers = static_file.get_path_and_headers(meta)
    headers = list(headers)
    size = int(dict(headers)["Content-Length"])
    range_header = meta.get("HTTP_RANGE")
    if range_header:
        try:
            response = static_file.get_range_response(range_header, headers, None)
        except ValueError:
            # WhiteNoise ignores a Range it cannot read (as the spec allows).
            response = None
        if response is not None:
            ranged = list(response.headers)
            if response.status != HTTPStatus.PARTIAL_CONTENT:
                return int(response.status), ranged, None, 0, 0
            spec = dict(ranged)["Content-Range"].split()[1].split("/")[0]
            start, end = (int(part) for part in spec.split("-"))
            return int(response.status), ranged, _body(method, path), start, end - start + 1
    return HTTPStatus.OK, headers, _body(method, path), 0, size


def _body(method: str, path: str) -> str | None:
    return None if method == "HEAD" else path


class WhiteNoiseMiddleware(middleware.WhiteNoiseMiddleware):  # type: ignore[misc]
    """Drop-in for ``whitenoise.middleware.WhiteNoiseMiddleware``; no thread hop.

    Same settings, same place in ``MIDDLEWARE`` (right after ``SecurityMiddleware``), same
    responses (status, headers and body, tested against WhiteNoise's). A subclass may change
    :attr:`memory_file_max` and :attr:`chunk_size`.
    """

    sync_capable = True
    async_capable = True

    memory_file_max: int = 1024 * 1024
    """Files (and compressed variants) up to this many bytes are served from memory."""
    chunk_size: int = 256 * 1024
    """A larger file is streamed in chunks of this many bytes, each read in a thread."""

    def __init__(self, get_response: Any = None, **kwargs: Any) -> None:
        super().__init__(get_response, **kwargs)
        self._async = iscoroutinefunction(get_response)
        if self._async:
            markcoroutinefunction(self)
        self._memory: dict[str, bytes] = {}
        if not self.autorefresh:
            self._load_small_files()

    def _load_small_files(self) -> None:
        for static_file in self.files.values():
            for _, path, headers in getattr(static_file, "alternatives", ()):
                if path not in self._memory and int(dict(headers)["Content-Length"]) <= (
                    self.memory_file_max
                ):
                    with open(path, "rb") as file:
                        self._memory[path] = file.read()

    def __call__(self, request: HttpRequest) -> Any:
        """WhiteNoise's ``__call__`` under WSGI; the loop-side one under ASGI."""
        if self._async:
            return self.__acall__(request)
        return super().__call__(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        """Serve a static file on the loop, or pass the request on."""
        if self.autorefresh:
            static_file = self.find_file(request.path_info)
        else:
            static_file = self.files.get(request.path_info)
        if static_file is None:
            return await self.get_response(request)  # type: ignore[no-any-return]
        return self._serve(static_file, request)

    def _serve(self, static_file: Any, request: HttpRequest) -> HttpResponseBase:
        status, headers, path, start, length = _plan(
            static_file, request.method or "GET", request.META
        )
        response: HttpResponseBase
        if path is None:
            response = HttpResponse(b"", status=status)
        elif path in self._memory:
            response = HttpResponse(self._memory[path][start : start + length], status=status)
        elif self.autorefresh and length <= self.memory_file_max:
            with open(path, "rb") as file:
                file.seek(start)
                response = HttpResponse(file.read(length), status=status)
        else:
            response = StreamingHttpResponse(
                self._read_in_chunks(path, start, length), status=status
            )
        # WhiteNoise's headers only, as its own response class sends them.
        del response["Content-Type"]
        for key, value in headers:
            response[key] = value
        return response

    async def _read_in_chunks(self, path: str, start: int, length: int) -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        file = await loop.run_in_executor(None, open, path, "rb")
        try:
            await loop.run_in_executor(None, file.seek, start)
            while length > 0:
                chunk = await loop.run_in_executor(None, file.read, min(self.chunk_size, length))
                if not chunk:
                    break
                length -= len(chunk)
                yield chunk
        finally:
            await loop.run_in_executor(None, file.close)
