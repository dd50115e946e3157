"""Recipe: async class-based views, migrated from Django's by renaming the bases."""

from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import override_settings
from django.urls import path

from django_asyncx.asgi import ASGIHandler
from django_asyncx.middleware import async_native
from django_asyncx.testing.client import arequest
from django_asyncx.views import AsyncListView, AsyncLoginRequiredMixin, AsyncView


class UserList(AsyncListView):  # was: ListView
    model = User
    ordering = ["username"]
    paginate_by = 10

    def render_to_response(self, context, **kwargs):
        names = ",".join(user.username for user in context["object_list"])
        return HttpResponse(f"page {context['page_obj'].number}: {names}")


class Dashboard(AsyncLoginRequiredMixin, AsyncView):  # was: LoginRequiredMixin, View
    async def get(self, request):
        return HttpResponse(f"hello {request.user.username}")


urlpatterns = [path("users/", UserList.as_view()), path("dashboard/", Dashboard.as_view())]


async def demo():
    """Run the recipe: the list is paginated through the bridge; anonymous users redirect."""
    import sys

    await User.objects.acreate(username="cookbook-generic")
    middleware = async_native(
        [
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
        ]
    )
    with override_settings(ROOT_URLCONF=sys.modules[__name__], MIDDLEWARE=middleware):
        app = ASGIHandler()
        users = await arequest(app, "GET", "/users/")
        dashboard = await arequest(app, "GET", "/dashboard/")
    assert users.body.startswith(b"page 1: ")
    assert b"cookbook-generic" in users.body
    assert (dashboard.status, dashboard.header("location")) == (
        302,
        "/accounts/login/?next=/dashboard/",
    )
