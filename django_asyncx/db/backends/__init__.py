"""Database backends (ENGINEs) shipped with django_asyncx."""

__all__: list[str] = []
