"""URLs of ``BENCH_VIEWS=page``."""

from django.urls import path

from bench.project import page_views as views

urlpatterns = [
    path("page-sync", views.page_sync),
    path("page-async", views.page_async),
]
