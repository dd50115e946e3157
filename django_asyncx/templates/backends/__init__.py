"""Template backends: :mod:`django_asyncx.templates.backends.jinja2` (native async Jinja2)."""

__all__: list[str] = []
