"""``manage.py seed_bank [--if-empty]``: a few accounts for the bank example's views."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from bank.models import Account

ACCOUNTS = {"alice": 120_000, "bob": 45_000, "carol": 800, "dave": 0}


class Command(BaseCommand):
    help = "Create the bank example's accounts (balances in cents)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing if accounts already exist"
        )

    def handle(self, *args: Any, if_empty: bool = False, **options: Any) -> None:
        if if_empty and Account.objects.exists():
            self.stdout.write("bank: accounts already exist")
            return
        for owner, balance in ACCOUNTS.items():
            Account.objects.update_or_create(owner=owner, defaults={"balance": balance})
        self.stdout.write(f"bank: {len(ACCOUNTS)} accounts")
