"""URLs of the benchmark project."""

from django.urls import path

from . import views

urlpatterns = [
    path("hello", views.hello_async),
    path("hello-sync", views.hello_sync),
]
