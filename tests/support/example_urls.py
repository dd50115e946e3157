"""The example project's URLs, mounted as config/urls.py mounts them (without the admin)."""

from django.urls import include, path

urlpatterns = [
    path("bank/", include("bank.urls")),
    path("pages/", include("pages.urls")),
    path("showcase/", include("showcase.urls")),
    path("aggregator/", include("aggregator.urls")),
    path("", include("demo.urls")),
]
