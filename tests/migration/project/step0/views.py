"""The library's views."""

from decimal import Decimal

import requests
from django.conf import settings
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.generic import ListView
from library.forms import ReviewForm
from library.models import Author, Book


def book_list(request):
    books = Book.objects.select_related("author").order_by("title")
    return render(request, "library/book_list.html", {"books": books})


def book_detail(request, pk):
    book = get_object_or_404(Book.objects.select_related("author"), pk=pk)
    reviews = book.reviews.order_by("pk")
    return render(request, "library/book_detail.html", {"book": book, "reviews": reviews})


def add_review(request, pk):
    book = get_object_or_404(Book, pk=pk)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            review = form.save(commit=False)
            review.book = book
            review.save()
            book.review_count += 1
            book.save(update_fields=["review_count"])
        return redirect("book", pk=book.pk)
    return render(request, "library/review_form.html", {"book": book, "form": form})


def price(request, pk, currency):
    book = get_object_or_404(Book, pk=pk)
    rates = requests.get(f"{settings.RATES_URL}/latest/{currency}", timeout=2)
    if rates.status_code != 200:
        return JsonResponse({"error": f"no rate for {currency}"}, status=502)
    rate = Decimal(str(rates.json()["rate"]))
    return JsonResponse({"price": str((book.price * rate).quantize(Decimal("0.01")))})


def stats(request):
    return JsonResponse({"books": Book.objects.count(), "authors": Author.objects.count()})


class AuthorList(ListView):
    model = Author
    ordering = "name"
