"""Async views on the DB bridge.

``summary`` runs four queries at once (each on its own pool thread and connection);
``transfer`` moves money between two rows inside ``async with atomic()``, with the rows
locked, and Django's own a-methods inside the block.
"""

from django.db import router
from django.db.models import Count, F, Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from bank.models import Account
from django_asyncx.db import aresolve, atomic, run_in_db


async def summary(request: HttpRequest) -> HttpResponse:
    """Totals, the richest accounts and the low balances, queried concurrently."""
    data = await aresolve(
        {
            "totals": run_in_db(
                lambda: Account.objects.aggregate(n=Count("id"), total=Sum("balance"))
            ),
            "richest": Account.objects.order_by("-balance", "owner")[:3],
            "low": Account.objects.filter(balance__lt=1000).order_by("owner"),
            "empty": run_in_db(Account.objects.filter(balance=0).count),
        }
    )
    return JsonResponse(
        {
            "accounts": data["totals"]["n"],
            "total": data["totals"]["total"] or 0,
            "richest": [a.owner for a in data["richest"]],
            "low": [a.owner for a in data["low"]],
            "empty": data["empty"],
        }
    )


class InsufficientFunds(Exception):
    """The source account cannot cover the transfer; the block rolls back."""


@csrf_exempt  # an API endpoint for the example; use CSRF protection for browser forms
@require_POST
async def transfer(request: HttpRequest) -> HttpResponse:
    """Move ``amount`` cents from account ``source`` to account ``target`` (POST form)."""
    try:
        source, target, amount = (int(request.POST[k]) for k in ("source", "target", "amount"))
    except (KeyError, ValueError):
        return JsonResponse(
            {"error": "source, target and amount are required integers"}, status=400
        )
    if amount <= 0 or source == target:
        return JsonResponse({"error": "amount must be positive, between two accounts"}, status=400)
    try:
        async with atomic(router.db_for_write(Account)):
            # Lock both rows, always in the same order, so two opposite transfers cannot deadlock.
            rows = (
                Account.objects.select_for_update().filter(pk__in=[source, target]).order_by("pk")
            )
            accounts = {account.pk: account async for account in rows}
            if len(accounts) != 2:
                return JsonResponse({"error": "no such account"}, status=404)
            if accounts[source].balance < amount:
                raise InsufficientFunds
            await Account.objects.filter(pk=source).aupdate(balance=F("balance") - amount)
            await Account.objects.filter(pk=target).aupdate(balance=F("balance") + amount)
    except InsufficientFunds:
        return JsonResponse({"error": "insufficient funds"}, status=409)
    return JsonResponse({"source": source, "target": target, "amount": amount})
