"""Views exercised through Django's handler and ours, with deterministic bodies."""

import asyncio
import threading

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect
from django.views.decorators.csrf import csrf_exempt

# What the cancellable view saw; the tests read and reset it.
EVENTS: list[str] = []
STARTED: asyncio.Event | None = None


async def hello(request):
    return JsonResponse({"hello": "world", "method": request.method})


def sync_hello(request):
    return JsonResponse(
        {"hello": "sync", "thread": threading.current_thread().name != "MainThread"}
    )


async def not_found(request):
    raise Http404("no such thing")


async def forbidden(request):
    raise PermissionDenied


async def broken(request):
    raise ValueError("boom")


async def stream(request):
    async def parts():
        for i in range(3):
            yield f"part {i}\n"

    return StreamingHttpResponse(parts(), content_type="text/plain")


def sync_stream(request):
    return StreamingHttpResponse((f"line {i}\n" for i in range(3)), content_type="text/plain")


@csrf_exempt
async def upload(request):
    files = sorted((name, f.name, f.size, type(f).__name__) for name, f in request.FILES.items())
    return JsonResponse({"files": files, "fields": dict(request.POST.items())})


@csrf_exempt
async def echo_body(request):
    return HttpResponse(request.body, content_type="application/octet-stream")


async def whoami(request):
    user = await request.auser()
    return JsonResponse({"user": user.get_username(), "auth": user.is_authenticated})


async def slow(request):
    EVENTS.append("started")
    if STARTED is not None:
        STARTED.set()
    try:
        await asyncio.sleep(30)
    except asyncio.CancelledError:
        EVENTS.append("cancelled")
        raise
    EVENTS.append("finished")
    return HttpResponse("late")


@csrf_exempt
async def form(request):
    if request.method == "POST":
        return HttpResponse(f"posted {request.POST.get('name', '')}")
    return HttpResponse("form")


async def session_set(request):
    await request.session.aset("n", (await request.session.aget("n", 0)) + 1)
    return HttpResponse(f"n={await request.session.aget('n')}")


async def session_read(request):
    return HttpResponse(f"n={await request.session.aget('n', 0)}")


async def add_message(request):
    messages.info(request, "hello there")
    return redirect("/views/show-messages/")


async def show_messages(request):
    # Session-backed message storage reads the session synchronously: load it first.
    await request.session.aitems()
    return HttpResponse(" | ".join(str(m) for m in messages.get_messages(request)))


async def redirect_insecure(request):
    return redirect("/views/hello/")


async def protected_form(request):
    if request.method == "POST":
        return HttpResponse(f"posted {request.POST.get('name', '')}")
    return HttpResponse("form")


async def csrf_token(request):
    from django.middleware.csrf import get_token

    get_token(request)
    return HttpResponse("token set")


async def login_view(request):
    from django.contrib.auth import alogin
    from django.contrib.auth.models import User

    user = await User.objects.aget(username=request.GET["username"])
    await alogin(request, user)
    return HttpResponse("logged in")


async def big(request):
    return HttpResponse("lorem ipsum dolor sit amet " * 100, content_type="text/plain")


def custom_csrf_failure(request, reason=""):
    return HttpResponse(f"custom failure: {reason}", status=403)
