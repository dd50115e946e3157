"""Recipe: AsyncPermissionRequiredMixin and AsyncUserPassesTestMixin."""

from django.http import HttpResponse
from django.test import override_settings
from django.urls import path

from django_asyncx.asgi import ASGIHandler
from django_asyncx.middleware import async_native
from django_asyncx.testing.client import arequest
from django_asyncx.views import (
    AsyncPermissionRequiredMixin,
    AsyncUserPassesTestMixin,
    AsyncView,
)


class Reports(AsyncPermissionRequiredMixin, AsyncView):  # checked through the DB bridge
    permission_required = "auth.view_user"
    raise_exception = True  # 403 instead of the login redirect

    async def get(self, request):
        return HttpResponse("reports")


class Weekend(AsyncUserPassesTestMixin, AsyncView):
    async def test_func(self):  # may be async
        user = await self.request.auser()
        return user.is_superuser

    async def get(self, request):
        return HttpResponse("weekend")


urlpatterns = [path("reports/", Reports.as_view()), path("weekend/", Weekend.as_view())]


async def demo():
    """Run the recipe: an anonymous user is refused by both."""
    import sys

    middleware = async_native(
        [
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
        ]
    )
    with override_settings(ROOT_URLCONF=sys.modules[__name__], MIDDLEWARE=middleware):
        app = ASGIHandler()
        reports = await arequest(app, "GET", "/reports/")
        weekend = await arequest(app, "GET", "/weekend/")
    assert reports.status == 403
    assert weekend.header("location") == "/accounts/login/?next=/weekend/"
