"""URLs of the chain tests, mounted at /chain/."""

from django.urls import path

from . import views

urlpatterns = [
    path("chain/plain/", views.plain),
    path("chain/sync/", views.sync_view),
    path("chain/stock-refuses/", views.plain),
    path("chain/stock-raises/", views.plain),
    path("chain/old-short/", views.plain),
    path("chain/lookup/", views.raises_lookup),
    path("chain/value/", views.raises_value),
    path("chain/template/", views.template),
]
