"""The one table the PgBouncer test project reads and updates (created by the test)."""

from django.db import models


class Account(models.Model):
    name = models.CharField(max_length=50)
    balance = models.IntegerField()

    class Meta:
        app_label = "pgbouncer_project"
        db_table = "pgbouncer_account"
