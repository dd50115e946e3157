"""Template tag libraries of django_asyncx: ``{% load asyncx %}``."""

__all__: list[str] = []
