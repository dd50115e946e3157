"""Recipe: ``AsyncTemplateResponse`` in an async class-based view.

A ``TemplateResponse`` renders late, so middleware and decorators can still change it; in an
async view use ``AsyncTemplateResponse``, whose ``render()`` Django's async handler awaits.
Any ``TemplateResponseMixin`` view takes it as ``response_class``.
"""

import sys
from datetime import date

from demo.models import Author, Book
from django.test import AsyncClient, override_settings
from django.urls import path
from django.views.generic import TemplateView

from django_asyncx.templates import AsyncTemplateResponse

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "OPTIONS": {
            "loaders": [
                (
                    "django.template.loaders.locmem.Loader",
                    {
                        "latest.html": (
                            "{% for b in books %}{{ b.title }} ({{ b.author }}){% endfor %}"
                        )
                    },
                )
            ]
        },
    }
]


class LatestView(TemplateView):
    template_name = "latest.html"
    response_class = AsyncTemplateResponse

    async def get(self, request, *args, **kwargs):
        # A lazy queryset: AsyncTemplateResponse resolves it when the handler renders.
        return self.render_to_response({"books": Book.objects.order_by("-published")[:5]})


urlpatterns = [path("latest/", LatestView.as_view())]


async def demo():
    """Run the recipe through Django's async handler."""
    author = await Author.objects.acreate(name="Late Renderer")
    await Book.objects.acreate(author=author, title="Deferred", published=date(2024, 5, 1), price=2)
    settings = override_settings(
        TEMPLATES=TEMPLATES, ROOT_URLCONF=sys.modules[__name__], MIDDLEWARE=[]
    )
    with settings:
        response = await AsyncClient().get("/latest/")
    assert response.status_code == 200
    assert b"Deferred (Late Renderer)" in response.content
