from django.urls import path

from . import views

app_name = "aggregator"
urlpatterns = [path("", views.index, name="index")]
