"""URLs of the example project."""

from django.contrib import admin
from django.contrib.staticfiles.views import serve
from django.urls import include, path, re_path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("bank/", include("bank.urls")),
    path("pages/", include("pages.urls")),
    path("showcase/", include("showcase.urls")),
    path("aggregator/", include("aggregator.urls")),
    path("", include("demo.urls")),
    # The example serves its few static files itself, with DEBUG off too; a deployment lets
    # the proxy serve STATIC_ROOT (docs/deployment.md).
    re_path(r"^static/(?P<path>.*)$", serve, {"insecure": True}),
]
