from django.urls import path

from bank import views

urlpatterns = [
    path("", views.accounts_page, name="bank-accounts"),
    path("summary/", views.summary, name="bank-summary"),
    path("transfer/", views.transfer, name="bank-transfer"),
]
