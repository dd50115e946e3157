from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.fields import (
    ArrayField,
    BigIntegerRangeField,
    DateRangeField,
    DateTimeRangeField,
    DecimalRangeField,
    HStoreField,
    IntegerRangeField,
)
from django.contrib.postgres.search import SearchVectorField
from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)
    born = models.DateField(null=True)

    class Meta:
        ordering = ["id"]


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)

    class Meta:
        ordering = ["id"]


class Comment(models.Model):
    content_type = models.ForeignKey(ContentType, models.CASCADE)
    object_id = models.PositiveIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    text = models.TextField()

    class Meta:
        ordering = ["id"]


class Book(models.Model):
    title = models.CharField(max_length=200)
    author = models.ForeignKey(Author, models.CASCADE, related_name="books")
    editor = models.ForeignKey(
        Author, models.SET_NULL, null=True, blank=True, related_name="edited"
    )
    tags = models.ManyToManyField(Tag, related_name="books", blank=True)
    pages = models.IntegerField(default=0)
    price = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    published = models.DateTimeField(null=True)
    comments = GenericRelation(Comment)

    class Meta:
        ordering = ["id"]


class Review(models.Model):
    book = models.ForeignKey(Book, models.CASCADE, related_name="reviews")
    stars = models.SmallIntegerField()

    class Meta:
        ordering = ["id"]


class AllTypes(models.Model):
    # Nullable everything: NULL must round-trip too.
    big = models.BigIntegerField(null=True)
    small = models.SmallIntegerField(null=True)
    integer = models.IntegerField(null=True)
    pos_big = models.PositiveBigIntegerField(null=True)
    pos_int = models.PositiveIntegerField(null=True)
    pos_small = models.PositiveSmallIntegerField(null=True)
    boolean = models.BooleanField(null=True)
    char = models.CharField(max_length=100, null=True)  # noqa: DJ001
    text = models.TextField(null=True)  # noqa: DJ001
    slug = models.SlugField(null=True)  # noqa: DJ001
    email = models.EmailField(null=True)  # noqa: DJ001
    url = models.URLField(null=True)  # noqa: DJ001
    file = models.FileField(null=True)
    file_path = models.FilePathField(null=True)  # noqa: DJ001
    date = models.DateField(null=True)
    datetime = models.DateTimeField(null=True)
    time = models.TimeField(null=True)
    duration = models.DurationField(null=True)
    decimal = models.DecimalField(max_digits=30, decimal_places=10, null=True)
    floating = models.FloatField(null=True)
    uuid = models.UUIDField(null=True)
    binary = models.BinaryField(null=True)
    json = models.JSONField(null=True)
    ip = models.GenericIPAddressField(null=True)
    int_array = ArrayField(models.IntegerField(), null=True)
    text_array = ArrayField(models.CharField(max_length=20), null=True)
    hstore = HStoreField(null=True)
    int_range = IntegerRangeField(null=True)
    big_range = BigIntegerRangeField(null=True)
    decimal_range = DecimalRangeField(null=True)
    date_range = DateRangeField(null=True)
    datetime_range = DateTimeRangeField(null=True)
    search = SearchVectorField(null=True)

    class Meta:
        ordering = ["id"]


__all__ = ["AllTypes", "Author", "Book", "Comment", "ContentType", "Review", "Tag"]
