"""Recipe: fan out to several services, show what arrived, degrade on what did not.

A dashboard needs a profile, the latest orders and some recommendations. The calls run
concurrently (the page takes as long as the slowest call, not the sum), and a failing
recommendations service costs the page one panel, not a 500.

    # settings.py
    MIDDLEWARE = [..., "django_asyncx.middleware.HttpClientMiddleware"]
    ASYNCX = {"HTTP_CLIENTS": {"default": {
        "base_url": "https://internal-api.example.com",
        "allowed_hosts": ["internal-api.example.com"],
        "timeout": {"total": 2},
    }}}
"""

from django.http import HttpRequest, JsonResponse
from django.urls import path

from django_asyncx.concurrency import gather
from django_asyncx.exceptions import UpstreamError


async def dashboard(request: HttpRequest, user_id: int) -> JsonResponse:
    http = request.http  # type: ignore[attr-defined]
    profile, orders, recommendations = await gather(
        http.get(f"users/{user_id}"),
        http.get("orders", params={"user": user_id, "limit": 5}),
        http.get("recommendations", params={"user": user_id}, timeout=0.5, retries=0),
        limit=3,
        return_exceptions=True,
    )
    if isinstance(profile, UpstreamError):
        raise profile  # no page without a profile: the middleware answers 502/504
    return JsonResponse(
        {
            "profile": profile.json(),
            "orders": [] if isinstance(orders, UpstreamError) else orders.json(),
            "recommendations": (
                None if isinstance(recommendations, UpstreamError) else recommendations.json()
            ),
        }
    )


urlpatterns = [path("dashboard/<int:user_id>/", dashboard)]
