from django.urls import re_path

from . import views

app_name = "chat"

urlpatterns = [
    re_path(r"^$", views.index, name="index"),
    re_path(r"^(?P<room>[\w-]{1,50})/$", views.room, name="room"),
    re_path(r"^(?P<room>[\w-]{1,50})/events/$", views.events, name="events"),
    re_path(r"^(?P<room>[\w-]{1,50})/follow/$", views.follow, name="follow"),
]
