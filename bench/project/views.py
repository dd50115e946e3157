"""The views of ``hello`` and ``p1``: a trivial JSON answer and a template page with one query.

Each exists as Django writes it sync (for WSGI) and async (``afirst``, a thread hop per
query), and the page also as django_asyncx writes it (the query through ``run_in_db``).
"""

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from django_asyncx.db import run_in_db

PAYLOAD = {"message": "Hello, world!"}


async def hello_async(request: HttpRequest) -> JsonResponse:
    """The async hello-world view, served over ASGI."""
    return JsonResponse(PAYLOAD)


def hello_sync(request: HttpRequest) -> JsonResponse:
    """The same view as a sync function, served over WSGI."""
    return JsonResponse(PAYLOAD)


def _first_user() -> User | None:
    return User.objects.filter(pk=1).first()


def page_sync(request: HttpRequest) -> HttpResponse:
    """One query and a template, sync, for WSGI."""
    return HttpResponse(render_to_string("bench_page.html", {"person": _first_user()}))


async def page_django(request: HttpRequest) -> HttpResponse:
    """One query (Django's ``afirst``) and a template, async."""
    person = await User.objects.filter(pk=1).afirst()
    return HttpResponse(render_to_string("bench_page.html", {"person": person}))


async def page_asyncx(request: HttpRequest) -> HttpResponse:
    """One query through django_asyncx's DB bridge and a template, async."""
    person = await run_in_db(_first_user)
    return HttpResponse(render_to_string("bench_page.html", {"person": person}))
