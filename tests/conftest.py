"""Fixtures shared by the whole suite."""

pytest_plugins = ["django_asyncx.testing.plugin"]
