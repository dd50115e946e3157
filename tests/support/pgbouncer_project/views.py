"""Views on the native path: a lookup, a raw query with parameters, a transaction."""

from django.db import connection
from django.http import HttpRequest, JsonResponse

from django_asyncx.db import atomic, run_in_db

from .models import Account


async def account(request: HttpRequest, pk: int) -> JsonResponse:
    found = await Account.objects.aget(pk=pk)
    return JsonResponse({"name": found.name, "balance": found.balance})


def _arithmetic(value: int) -> tuple[int, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::int * 2, %s || '!'", [value, str(value)])
        row = cursor.fetchone()
    assert row is not None
    return row[0], row[1]


async def arithmetic(request: HttpRequest, value: int) -> JsonResponse:
    doubled, shouted = await run_in_db(_arithmetic, value)
    return JsonResponse({"doubled": doubled, "shouted": shouted})


async def deposit(request: HttpRequest, pk: int) -> JsonResponse:
    async with atomic():
        found = await Account.objects.select_for_update().aget(pk=pk)
        found.balance += 1
        await found.asave(update_fields=["balance"])
    return JsonResponse({"balance": found.balance})
