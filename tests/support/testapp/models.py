"""Models the library's own tests use (the example project's ``demo`` app is installed too)."""

from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)


class Book(models.Model):
    title = models.CharField(max_length=200)
    summary = models.TextField(default="")
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")


class Entry(models.Model):
    """A row that transaction tests write and count."""

    label = models.CharField(max_length=100)
