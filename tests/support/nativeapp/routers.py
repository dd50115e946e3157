"""Keep nativeapp (ArrayField, HStoreField, ranges) off databases that are not PostgreSQL."""

from django.db import connections


class NativeAppRouter:
    def allow_migrate(self, db, app_label, **hints):
        if app_label == "nativeapp":
            return connections[db].vendor == "postgresql"
        return None
