"""Authors, books and their reviews."""

from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)

    def __str__(self) -> str:
        return self.name


class Book(models.Model):
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="books")
    title = models.CharField(max_length=200)
    price = models.DecimalField(max_digits=8, decimal_places=2)
    review_count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.title


class Review(models.Model):
    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="reviews")
    reader = models.CharField(max_length=100)
    stars = models.PositiveSmallIntegerField()
    text = models.TextField(blank=True)
