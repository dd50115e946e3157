"""Middleware of every kind, for the chain tests: each records the thread its hooks ran in.

``X-Trail`` on the response lists, in order, ``name:phase:thread`` for each hook that ran,
where thread is ``loop`` when the hook ran on the event loop's thread, else a number given
to each other thread in order of appearance within the request.
"""

import asyncio
import threading

from asgiref.sync import markcoroutinefunction
from django.http import HttpResponse
from django.utils.deprecation import MiddlewareMixin

from django_asyncx.middleware.chain import loop_safe


def _where(request):
    try:
        asyncio.get_running_loop()
        return "loop"
    except RuntimeError:
        threads = request.__dict__.setdefault("_chain_threads", [])
        ident = threading.get_ident()
        if ident not in threads:
            threads.append(ident)
        return f"t{threads.index(ident)}"


def mark(request, name, phase):
    request.__dict__.setdefault("_chain_trail", []).append(f"{name}:{phase}:{_where(request)}")


def finish(request, response):
    response["X-Trail"] = " ".join(request.__dict__.get("_chain_trail", []))
    return response


class AsyncOnly:
    """An async-only middleware's flags and constructor."""

    sync_capable = False
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        markcoroutinefunction(self)


class Outer(AsyncOnly):
    """Async-capable: ends the trail into a header."""

    async def __call__(self, request):
        mark(request, "outer", "request")
        response = await self.get_response(request)
        mark(request, "outer", "response")
        return finish(request, response)


class Stock(MiddlewareMixin):
    """A MiddlewareMixin middleware as most projects write them."""

    def process_request(self, request):
        mark(request, "stock", "request")
        if request.path == "/chain/stock-refuses/":
            return HttpResponse("refused by stock", status=403)
        if request.path == "/chain/stock-raises/":
            raise PermissionError("stock raised")
        return None

    def process_response(self, request, response):
        mark(request, "stock", "response")
        response["X-Stock"] = "1"
        return response


class OldStyle:
    """Sync-only (no flags): Django calls it in a thread."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        mark(request, "old", "request")
        if request.path == "/chain/old-short/":
            return HttpResponse("short-circuited by old")
        response = self.get_response(request)
        mark(request, "old", "response")
        return response


class Middle(AsyncOnly):
    """Async-capable, between the two runs."""

    async def __call__(self, request):
        mark(request, "middle", "request")
        return await self.get_response(request)


class Hooks(MiddlewareMixin):
    """process_view, process_template_response, process_exception."""

    def process_request(self, request):
        mark(request, "hooks", "request")

    def process_view(self, request, view, args, kwargs):
        mark(request, "hooks", "view")
        if "by-view-hook" in request.GET:
            return HttpResponse("answered by process_view")
        return None

    def process_template_response(self, request, response):
        mark(request, "hooks", "template")
        response.context_data["extra"] = "from the hook"
        return response

    def process_exception(self, request, exception):
        mark(request, "hooks", "exception")
        if isinstance(exception, LookupError):
            return HttpResponse(f"handled {exception}", status=418)
        return None

    def process_response(self, request, response):
        mark(request, "hooks", "response")
        return response


class SecondView(MiddlewareMixin):
    """A second sync process_view next to Hooks': both in one hop."""

    def process_view(self, request, view, args, kwargs):
        mark(request, "second", "view")


@loop_safe
class Safe(MiddlewareMixin):
    """Declared loop-safe with the decorator."""

    def process_request(self, request):
        mark(request, "safe", "request")

    def process_view(self, request, view, args, kwargs):
        mark(request, "safe", "view")

    def process_response(self, request, response):
        mark(request, "safe", "response")
        response["X-Safe"] = "1"
        return response


class SafeBySetting(MiddlewareMixin):
    """Declared loop-safe in ASYNCX["LOOP_SAFE_MIDDLEWARE"] by the tests."""

    def process_request(self, request):
        mark(request, "setting", "request")

    def process_response(self, request, response):
        mark(request, "setting", "response")
        return response
