"""Sync function views as a project has them: the codemod converts this module, and the
tests run both versions against the same database and compare the responses."""

from django import forms
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render

from tests.support.testapp.models import Author, Book


class BookForm(forms.ModelForm):
    class Meta:
        model = Book
        fields = ["title", "author"]


def book_list(request):
    books = Book.objects.select_related("author").order_by("title")
    total = books.count()
    return render(request, "codemod/list.html", {"books": books, "total": total})


def book_detail(request, pk):
    book = get_object_or_404(Book, pk=pk)
    book.summary = book.summary + "+"
    book.save(update_fields=["summary"])
    return JsonResponse({"title": book.title, "summary": book.summary})


def author_titles(request, pk):
    author = Author.objects.get(pk=pk)
    titles = []
    for book in Book.objects.filter(author=author).order_by("title"):
        titles.append(book.title)
    first = list(Book.objects.order_by("-title").values_list("title", flat=True)[:1])
    return JsonResponse({"author": author.name, "titles": titles, "last": first})


@transaction.atomic
def add_book(request):
    form = BookForm(request.POST)
    if form.is_valid():
        with transaction.atomic():
            book = form.save(commit=False)
            book.summary = "added"
            book.save()
        return redirect("/books/")
    return JsonResponse({"errors": form.errors}, status=400)
