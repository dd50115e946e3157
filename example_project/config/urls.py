"""URLs of the example project."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("bank/", include("bank.urls")),
    path("pages/", include("pages.urls")),
    path("showcase/", include("showcase.urls")),
    path("aggregator/", include("aggregator.urls")),
    path("chat/", include("chat.urls")),
    path("", include("demo.urls")),
]
