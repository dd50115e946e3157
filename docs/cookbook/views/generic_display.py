"""Recipe: AsyncTemplateView, AsyncDetailView and AsyncRedirectView."""

from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import override_settings
from django.urls import path

from django_asyncx.asgi import ASGIHandler
from django_asyncx.testing.client import arequest
from django_asyncx.views import AsyncDetailView, AsyncRedirectView, AsyncTemplateView


class About(AsyncTemplateView):  # was: TemplateView
    async def get_context_data(self, **kwargs):  # a hook may be async
        context = super().get_context_data(**kwargs)
        context["users"] = await User.objects.acount()
        return context

    def render_to_response(self, context, **kwargs):
        return HttpResponse(f"{context['users']} users")


class Profile(AsyncDetailView):  # was: DetailView; the object is fetched through the bridge
    model = User
    slug_field = "username"

    def render_to_response(self, context, **kwargs):
        return HttpResponse(f"profile of {context['object'].username}")


class Me(AsyncRedirectView):  # was: RedirectView; get_redirect_url may be async
    async def get_redirect_url(self, *args, **kwargs):
        user = await User.objects.order_by("pk").afirst()
        return None if user is None else f"/users/{user.username}/"


urlpatterns = [
    path("about/", About.as_view()),
    path("users/<slug:slug>/", Profile.as_view()),
    path("me/", Me.as_view()),
]


async def demo():
    """Run the recipe: a page, a profile (and a 404), a redirect."""
    import sys

    await User.objects.acreate(username="display")
    with override_settings(ROOT_URLCONF=sys.modules[__name__], MIDDLEWARE=[]):
        app = ASGIHandler()
        about = await arequest(app, "GET", "/about/")
        profile = await arequest(app, "GET", "/users/display/")
        missing = await arequest(app, "GET", "/users/nobody/")
        me = await arequest(app, "GET", "/me/")
    assert about.body.endswith(b" users")
    assert profile.body == b"profile of display"
    assert missing.status == 404
    assert me.status == 302
    assert me.header("location").startswith("/users/")
