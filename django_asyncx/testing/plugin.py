"""The pytest plugin: ``pytest_plugins = ["django_asyncx.testing.plugin"]``."""

from __future__ import annotations

__all__: list[str] = []
