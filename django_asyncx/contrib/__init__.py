"""Integrations with third-party packages: :mod:`~django_asyncx.contrib.debug_toolbar`."""

__all__: list[str] = []
