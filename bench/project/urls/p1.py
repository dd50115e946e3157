"""URLs of ``BENCH_VIEWS=p1``: the hello view under ``json``, and the page."""

from django.urls import path

from bench.project import views

urlpatterns = [
    path("json", views.hello_async),
    path("json-sync", views.hello_sync),
    path("page-sync", views.page_sync),
    path("page-django", views.page_django),
    path("page-asyncx", views.page_asyncx),
]
