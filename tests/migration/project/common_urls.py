"""The library's URLs, the same at every step: each step's ``urls.py`` passes its views."""

from types import ModuleType

from django.contrib import admin
from django.urls import URLPattern, URLResolver, path


def urlpatterns_for(views: ModuleType) -> list[URLPattern | URLResolver]:
    """The URL patterns of the project, served by ``views``."""
    return [
        path("admin/", admin.site.urls),
        path("", views.book_list, name="books"),
        path("books/<int:pk>/", views.book_detail, name="book"),
        path("books/<int:pk>/review/", views.add_review, name="review"),
        path("books/<int:pk>/price/<str:currency>/", views.price, name="price"),
        path("authors/", views.AuthorList.as_view(), name="authors"),
        path("stats/", views.stats, name="stats"),
    ]
