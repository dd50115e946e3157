"""URLs of ``BENCH_VIEWS=hello``."""

from django.urls import path

from bench.project import views

urlpatterns = [
    path("hello", views.hello_async),
    path("hello-sync", views.hello_sync),
]
