"""URLs for in-process tests."""

from django.urls import include, path

urlpatterns: list[object] = [
    path("testapp/", include("tests.testapp.urls")),
]
