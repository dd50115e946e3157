from django.apps import AppConfig


class BankConfig(AppConfig):
    """The bridge's example: concurrent queries and a transfer in ``async with atomic()``."""

    name = "bank"
    default_auto_field = "django.db.models.BigAutoField"
