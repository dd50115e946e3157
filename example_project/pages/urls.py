"""URLs of the example pages: include under ``pages/``."""

from django.urls import path

from . import views

app_name = "pages"

urlpatterns = [
    path("bookshop/", views.bookshop, name="bookshop"),
    path("streamed/", views.streamed, name="streamed"),
    path("buffered/", views.buffered, name="buffered"),
    path("jinja/", views.jinja_authors, name="jinja"),
]
