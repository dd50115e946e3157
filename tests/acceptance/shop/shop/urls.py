from django.urls import path

from . import views

urlpatterns = [
    path("", views.product_list, name="products"),
    path("categories/", views.category_list, name="categories"),
    path("products/<slug:slug>/", views.product_detail, name="product"),
    path("products/<slug:slug>/price/<str:currency>/", views.price_in, name="price"),
    path("orders/", views.place_order, name="place_order"),
    path("orders/<int:pk>/", views.order_detail, name="order"),
    path("stock/", views.stock_count, name="stock"),
]
