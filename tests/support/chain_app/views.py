"""Views of the chain tests."""

import threading

from django.http import HttpResponse
from django.template.response import TemplateResponse

from .middleware import mark


async def plain(request):
    mark(request, "view", "async")
    return HttpResponse("plain")


def sync_view(request):
    mark(request, "view", "sync")
    return HttpResponse(f"sync {threading.current_thread() is threading.main_thread()}")


async def raises_lookup(request):
    raise LookupError("missing thing")


async def raises_value(request):
    raise ValueError("boom")


def template(request):
    return TemplateResponse(request, "chain_template.html", {"extra": "from the view"})
