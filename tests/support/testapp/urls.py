from django.urls import path

from tests.support.testapp import views

urlpatterns = [
    path("entries/<str:alias>/", views.create_entry),
    path("entries/<str:alias>/non-atomic/", views.create_entry_non_atomic),
    path("entries/<str:alias>/count/", views.count_entries),
    path("block/", views.block_the_loop),
    path("sleep/", views.sleep_politely),
]
