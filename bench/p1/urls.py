"""URLs of the P1 project."""

from django.urls import path

from . import views

urlpatterns = [
    path("json", views.json_async),
    path("json-sync", views.json_sync),
    path("page-sync", views.page_sync),
    path("page-django", views.page_django),
    path("page-asyncx", views.page_asyncx),
]
