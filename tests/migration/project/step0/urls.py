"""The library's URLs, served by this step's views."""

from common_urls import urlpatterns_for

from . import views

urlpatterns = urlpatterns_for(views)
