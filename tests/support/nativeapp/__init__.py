"""Models for the native engine's tests: every built-in field type and the relations the ORM
features need (select_related, prefetch_related, generic relations, cascades)."""
