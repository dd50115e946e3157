"""Async views on the DB bridge.

``summary`` runs four queries at once (each on its own pool thread and connection);
``transfer`` (an API) and ``accounts_page`` (a browser form) move money between two rows
inside ``async with atomic()``, with the rows locked, and Django's own a-methods inside the
block.
"""

from typing import Any

from django import forms
from django.db import router
from django.db.models import Count, F, Sum
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
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


class TransferError(Exception):
    """A transfer that cannot be made; the block, if it began, rolls back."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


async def move(source: int, target: int, amount: int) -> None:
    """Move ``amount`` cents from account ``source`` to ``target``, or raise TransferError."""
    if amount <= 0 or source == target:
        raise TransferError("amount must be positive, between two accounts", status=400)
    async with atomic(router.db_for_write(Account)):
        # Lock both rows, always in the same order, so two opposite transfers cannot deadlock.
        rows = Account.objects.select_for_update().filter(pk__in=[source, target]).order_by("pk")
        accounts = {account.pk: account async for account in rows}
        if len(accounts) != 2:
            raise TransferError("no such account", status=404)
        if accounts[source].balance < amount:
            raise TransferError("insufficient funds", status=409)
        await Account.objects.filter(pk=source).aupdate(balance=F("balance") - amount)
        await Account.objects.filter(pk=target).aupdate(balance=F("balance") + amount)


@csrf_exempt  # the API endpoint, for scripts; the browser form below is CSRF-protected
@require_POST
async def transfer(request: HttpRequest) -> HttpResponse:
    """Move ``amount`` cents from account ``source`` to account ``target`` (POST form)."""
    try:
        source, target, amount = (int(request.POST[k]) for k in ("source", "target", "amount"))
    except (KeyError, ValueError):
        return JsonResponse(
            {"error": "source, target and amount are required integers"}, status=400
        )
    try:
        await move(source, target, amount)
    except TransferError as exc:
        return JsonResponse({"error": str(exc)}, status=exc.status)
    return JsonResponse({"source": source, "target": target, "amount": amount})


class TransferForm(forms.Form):
    """The browser's transfer: two accounts of ``accounts`` and an amount in cents."""

    source = forms.TypedChoiceField(coerce=int, label="From")
    target = forms.TypedChoiceField(coerce=int, label="To")
    amount = forms.IntegerField(min_value=1, max_value=10**12, label="Cents")

    def __init__(self, *args: Any, accounts: list[Account], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Loaded by the async view beforehand: validation itself runs no query.
        choices = [(a.pk, a.owner) for a in accounts]
        self.fields["source"].choices = self.fields["target"].choices = choices  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("source") is not None and data.get("source") == data.get("target"):
            raise forms.ValidationError("Choose two different accounts.")
        return data


async def accounts_page(request: HttpRequest) -> HttpResponse:
    """The accounts and a transfer form (CSRF-protected; errors shown next to the fields)."""
    accounts = [a async for a in Account.objects.order_by("owner")]
    form = TransferForm(request.POST or None, accounts=accounts)
    if request.method == "POST" and form.is_valid():
        try:
            await move(form.cleaned_data["source"], form.cleaned_data["target"],
                       form.cleaned_data["amount"])  # fmt: skip
        except TransferError as exc:
            form.add_error(None, f"The transfer was refused: {exc}.")
        else:
            return HttpResponseRedirect(f"{request.path}?moved={form.cleaned_data['amount']}")
    status = 400 if form.errors else 200
    moved = request.GET.get("moved", "")
    context = {
        "accounts": accounts,
        "total": sum(a.balance for a in accounts),
        "form": form,
        "moved": int(moved) if moved.isdigit() else None,
    }
    return render(request, "bank/accounts.html", context, status=status)
