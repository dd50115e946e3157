"""Management commands of django_asyncx: ``asyncx_audit``."""

__all__: list[str] = []
