"""URLs of the PgBouncer test project."""

from django.urls import path

from . import views

urlpatterns = [
    path("account/<int:pk>/", views.account),
    path("arithmetic/<int:value>/", views.arithmetic),
    path("deposit/<int:pk>/", views.deposit),
]
