"""URLs of ``BENCH_VIEWS=templates``."""

from django.urls import path

from bench.project import template_views as views

urlpatterns = [
    path("table-sync", views.table_sync),
    path("table-stock-async", views.table_stock_async),
    path("table-arender", views.table_arender),
    path("streamed", views.streamed),
    path("buffered", views.buffered),
]
