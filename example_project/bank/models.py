"""Accounts whose balances the example's views read concurrently and transfer between."""

from django.db import models


class Account(models.Model):
    """A balance in cents; the database refuses a negative one."""

    owner = models.CharField(max_length=100, unique=True)
    balance = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(balance__gte=0), name="bank_account_balance_not_negative"
            )
        ]

    def __str__(self) -> str:
        return f"{self.owner}: {self.balance / 100:.2f}"
