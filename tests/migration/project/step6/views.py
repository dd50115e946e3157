"""The health check: ready once the startup hooks have run."""

from django.http import HttpRequest, JsonResponse

from .lifespan import started


async def health(request: HttpRequest) -> JsonResponse:
    if "at" not in started:
        return JsonResponse({"status": "starting"}, status=503)
    return JsonResponse({"status": "ok", "up_since": started["at"].isoformat()})
