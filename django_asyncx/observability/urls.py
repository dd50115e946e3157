"""The health view's URL.

In the project's URLconf: ``path("health/", include("django_asyncx.observability.urls"))``.

Extra keyword arguments of ``include()`` reach the view: ``{"block_window": 10}``.
"""

from django.urls import path

from .health import health

__all__ = ["urlpatterns"]

urlpatterns = [path("", health, name="asyncx_health")]
