"""The example project's demo URLs, mounted as config/urls.py mounts them (without the admin)."""

from django.urls import include, path

urlpatterns = [path("", include("demo.urls"))]
