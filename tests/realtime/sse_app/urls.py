from django.urls import path

from . import views

urlpatterns = [
    path("ticks/", views.ticks),
    path("forever/", views.forever),
    path("group/<str:group>/", views.group),
    path("send/<str:group>/", views.send),
    path("stats/", views.stats),
]
