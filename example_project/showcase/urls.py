"""Showcase URLs; include them with ``path("showcase/", include("showcase.urls"))``."""

from django.urls import path

from . import views

urlpatterns = [
    path("slow/", views.slow),
    path("export/", views.export),
    path("stats/", views.stats),
    path("user-count/", views.user_count),
    path("legacy/", views.legacy),
    path("users/", views.UserList.as_view()),
]
