"""URLs of the demo app."""

from django.urls import path

from . import views

app_name = "demo"

urlpatterns = [
    path("", views.home, name="home"),
    path("api/books/", views.api_books, name="books"),
    path("api/stats/", views.api_stats, name="stats"),
]
