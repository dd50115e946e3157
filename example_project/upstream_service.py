"""The small upstream service the example project calls: slow, flaky and failing routes.

Run it next to the example project::

    python example_project/upstream_service.py --port 8001

Routes (all GET, all JSON):

* ``/weather``: slow, answers after ``?ms=`` milliseconds (default 150);
* ``/headlines``: flaky, answers 503 with ``Retry-After: 0`` on a share of requests
  (``--failure-rate``, default 0.3): the client's retries usually hide it;
* ``/stocks``: failing, answers 500 on most requests (default 0.8) and takes 3 s on some,
  so the page shows how a broken dependency degrades one panel, not the page;
* ``/fast``: answers at once.

``--certfile``/``--keyfile`` serve HTTPS instead (the benchmarks use it).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import ssl

from aiohttp import web


class UpstreamService:
    """The route handlers; ``seed`` makes the failures reproducible (tests)."""

    def __init__(self, *, failure_rate: float = 0.3, seed: int | None = None) -> None:
        self.failure_rate = failure_rate
        self.random = random.Random(seed)

    async def fast(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def weather(self, request: web.Request) -> web.Response:
        await asyncio.sleep(int(request.query.get("ms", "150")) / 1000)
        return web.json_response({"city": "Lyon", "sky": "clear", "celsius": 21})

    async def headlines(self, request: web.Request) -> web.Response:
        if self.random.random() < self.failure_rate:
            return web.json_response({"error": "busy"}, status=503, headers={"Retry-After": "0"})
        return web.json_response({"headlines": ["Async Django ships", "Event loop closes on time"]})

    async def stocks(self, request: web.Request) -> web.Response:
        roll = self.random.random()
        if roll < 0.8:
            return web.json_response({"error": "database on fire"}, status=500)
        if roll < 0.9:
            await asyncio.sleep(3)
        return web.json_response({"DJAX": 42.0})

    def app(self) -> web.Application:
        """The aiohttp application serving the routes."""
        app = web.Application()
        for name in ("fast", "weather", "headlines", "stocks"):
            app.router.add_get(f"/{name}", getattr(self, name))
        return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--failure-rate", type=float, default=0.3)
    parser.add_argument("--certfile", help="serve HTTPS with this certificate (PEM)")
    parser.add_argument("--keyfile", help="the certificate's private key (PEM)")
    args = parser.parse_args()
    context = None
    if args.certfile:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.certfile, args.keyfile)
    service = UpstreamService(failure_rate=args.failure_rate)
    web.run_app(service.app(), host=args.host, port=args.port, access_log=None, ssl_context=context)


if __name__ == "__main__":
    main()
