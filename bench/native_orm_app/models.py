"""Authors, tags and books for the native ORM benchmark."""

from django.db import models


class Author(models.Model):  # noqa: DJ008
    name = models.CharField(max_length=100)
    email = models.EmailField(default="")

    class Meta:
        db_table = "bench_author"


class Tag(models.Model):  # noqa: DJ008
    name = models.CharField(max_length=100)

    class Meta:
        db_table = "bench_tag"


class Book(models.Model):  # noqa: DJ008
    title = models.CharField(max_length=200)
    author = models.ForeignKey(Author, models.CASCADE, related_name="books")
    pages = models.IntegerField()
    price = models.DecimalField(max_digits=8, decimal_places=2)
    published = models.DateTimeField()

    class Meta:
        db_table = "bench_book"
