"""The library's URLs and the health check."""

from django.urls import path
from step5.urls import urlpatterns as library

from . import views

urlpatterns = [*library, path("health/", views.health, name="health")]
