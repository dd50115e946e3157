from django.urls import path

from bank import views

urlpatterns = [
    path("summary/", views.summary, name="bank-summary"),
    path("transfer/", views.transfer, name="bank-transfer"),
]
