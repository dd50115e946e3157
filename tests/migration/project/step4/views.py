"""The library's views."""

from decimal import Decimal

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import aget_object_or_404, redirect
from django.views.generic import ListView
from library.forms import ReviewForm
from library.models import Author, Book

from django_asyncx.db import atomic, run_in_db
from django_asyncx.templates import arender


async def book_list(request):
    books = Book.objects.select_related("author").order_by("title")
    return await arender(request, "library/book_list.html", {"books": books})


async def book_detail(request, pk):
    book = await aget_object_or_404(Book.objects.select_related("author"), pk=pk)
    reviews = book.reviews.order_by("pk")
    return await arender(request, "library/book_detail.html", {"book": book, "reviews": reviews})


async def add_review(request, pk):
    book = await aget_object_or_404(Book, pk=pk)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and await run_in_db(form.is_valid):
        async with atomic():
            review = await run_in_db(form.save, commit=False)
            review.book = book
            await review.asave()
            book.review_count += 1
            await book.asave(update_fields=["review_count"])
        return redirect("book", pk=book.pk)
    return await arender(request, "library/review_form.html", {"book": book, "form": form})


async def price(request, pk, currency):
    book = await aget_object_or_404(Book, pk=pk)
    rates = await request.http.get(f"{settings.RATES_URL}/latest/{currency}", timeout=2)
    if rates.status != 200:
        return JsonResponse({"error": f"no rate for {currency}"}, status=502)
    rate = Decimal(str(rates.json()["rate"]))
    return JsonResponse({"price": str((book.price * rate).quantize(Decimal("0.01")))})


async def stats(request):
    return JsonResponse(
        {"books": await Book.objects.acount(), "authors": await Author.objects.acount()}
    )


# asyncx: class-based view: use django_asyncx.views' async twin (ListView -> AsyncListView) and make its overridden methods async
class AuthorList(ListView):
    model = Author
    ordering = "name"
