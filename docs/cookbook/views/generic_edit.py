"""Recipe: AsyncFormView, AsyncCreateView, AsyncUpdateView and AsyncDeleteView."""

from django import forms
from django.contrib.auth.models import Group
from django.http import HttpResponse
from django.test import override_settings
from django.urls import path

from django_asyncx.asgi import ASGIHandler
from django_asyncx.testing.client import arequest
from django_asyncx.views import AsyncCreateView, AsyncDeleteView, AsyncFormView, AsyncUpdateView


class ShowForm:
    def render_to_response(self, context, **kwargs):
        return HttpResponse(f"errors: {context['form'].errors.as_text() or 'none'}")


class Feedback(forms.Form):
    email = forms.EmailField()


class SendFeedback(ShowForm, AsyncFormView):  # was: FormView
    form_class = Feedback
    success_url = "/thanks/"

    async def form_valid(self, form):  # a hook may be async: the view awaits it
        return super().form_valid(form)


class NewGroup(ShowForm, AsyncCreateView):  # validated (unique name) and saved via the bridge
    model = Group
    fields = ["name"]
    success_url = "/groups/{id}/"


class RenameGroup(ShowForm, AsyncUpdateView):
    model = Group
    fields = ["name"]
    success_url = "/groups/{id}/"


class DropGroup(AsyncDeleteView):
    model = Group
    success_url = "/groups/"


urlpatterns = [
    path("feedback/", SendFeedback.as_view()),
    path("groups/new/", NewGroup.as_view()),
    path("groups/<int:pk>/edit/", RenameGroup.as_view()),
    path("groups/<int:pk>/delete/", DropGroup.as_view()),
]


async def demo():
    """Run the recipe: a form, then create, rename and delete a group."""
    import sys

    form = {"content-type": "application/x-www-form-urlencoded"}
    with override_settings(ROOT_URLCONF=sys.modules[__name__], MIDDLEWARE=[]):
        app = ASGIHandler()
        bad = await arequest(app, "POST", "/feedback/", body=b"email=no", headers=form)
        good = await arequest(app, "POST", "/feedback/", body=b"email=a%40b.io", headers=form)
        created = await arequest(app, "POST", "/groups/new/", body=b"name=cooks", headers=form)
        group = await Group.objects.aget(name="cooks")
        again = await arequest(app, "POST", "/groups/new/", body=b"name=cooks", headers=form)
        renamed = await arequest(
            app, "POST", f"/groups/{group.pk}/edit/", body=b"name=chefs", headers=form
        )
        deleted = await arequest(app, "POST", f"/groups/{group.pk}/delete/")
    assert b"Enter a valid email address" in bad.body
    assert good.header("location") == "/thanks/"
    assert created.header("location") == f"/groups/{group.pk}/"
    assert b"Group with this Name already exists" in again.body
    assert renamed.status == 302
    assert deleted.header("location") == "/groups/"
    assert not await Group.objects.filter(pk=group.pk).aexists()
