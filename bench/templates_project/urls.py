"""URLs of the template benchmark."""

from django.urls import path

from . import views

urlpatterns = [
    path("table-sync", views.table_sync),
    path("table-stock-async", views.table_stock_async),
    path("table-arender", views.table_arender),
    path("streamed", views.streamed),
    path("buffered", views.buffered),
]
