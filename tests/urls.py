"""URLs for in-process tests."""

urlpatterns: list[object] = []
