"""Recipe: the health view in a project's URLconf, for people and for the load balancer."""

from django.urls import include, path

urlpatterns = [
    # The figures as JSON; 503 while a loop is blocked, up to 30 s after, or a pool is dry.
    path("health/", include("django_asyncx.observability.urls")),
    # The load balancer's probe: a worker is back in rotation 5 s after a block.
    path("ready/", include("django_asyncx.observability.urls"), {"block_window": 5}),
]
