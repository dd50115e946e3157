"""One view per decorator, and an async list view, over django.contrib.auth's users."""

import asyncio
import math

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

from django_asyncx.views import (
    AsyncListView,
    async_view,
    cache_page,
    etag,
    limit_concurrency,
    timeout,
)


@timeout(1)
async def slow(request: HttpRequest) -> HttpResponse:
    """Sleeps ``?seconds=`` (default 2): over 1 s, the view is cancelled and answers 504."""
    raw = request.GET.get("seconds", "2")
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not 0 <= seconds <= 60:  # also false for nan
        return HttpResponseBadRequest(
            f"seconds={raw!r} is not accepted: give a number of seconds from 0 to 60\n"
        )
    await asyncio.sleep(seconds)
    return HttpResponse("finished in time\n")


@limit_concurrency(2, wait=1)
async def export(request: HttpRequest) -> HttpResponse:
    """At most two at once; a third waits up to 1 s, then gets 503 with Retry-After."""
    await asyncio.sleep(0.5)
    return HttpResponse("exported\n")


@cache_page(30)
async def stats(request: HttpRequest) -> JsonResponse:
    """Cached for 30 s; the cache is read and written without blocking the loop."""
    return JsonResponse({"users": await User.objects.acount()})


async def _users_etag(request: HttpRequest) -> str:
    return f"users-{await User.objects.acount()}"


@etag(_users_etag)
async def user_count(request: HttpRequest) -> HttpResponse:
    """Answers 304 to a request that sends back the ETag while the count is unchanged."""
    return HttpResponse(f"{await User.objects.acount()} users\n")


@async_view
def legacy(request: HttpRequest) -> HttpResponse:
    """A sync view, run on the DB bridge's bounded pool instead of a thread per request."""
    return HttpResponse(f"{User.objects.count()} users (sync ORM)\n")


class UserList(AsyncListView):  # type: ignore[type-arg]
    """Users, 20 per page, as JSON."""

    model = User
    ordering = ["username"]
    paginate_by = 20

    def render_to_response(self, context: dict, **kwargs: object) -> JsonResponse:  # type: ignore[override,type-arg]
        page = context["page_obj"]
        return JsonResponse(
            {
                "page": page.number,
                "pages": context["paginator"].num_pages,
                "users": [user.username for user in context["object_list"]],
            }
        )
