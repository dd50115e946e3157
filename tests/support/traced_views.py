"""A view that reaches every traced path: bridge, Django a-method, native engine, upstream."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path

from django_asyncx.db import run_in_db
from tests.support.nativeapp.models import Author
from tests.support.testapp.models import Book


async def every_path(request: HttpRequest) -> HttpResponse:
    # Thread bridge (psycopg in a db pool thread), Django's a-method on the thread path
    # (psycopg in the request's thread), the native engine (asyncpg on the loop), upstream.
    books = await run_in_db(lambda: Book.objects.using("postgres").count(), using="postgres")
    titles = await Book.objects.using("postgres").filter(title="x").aexists()
    authors = await Author.objects.using("native").acount()
    upstream = await request.http.get("/hello")
    return JsonResponse(
        {"books": books, "titles": titles, "authors": authors, "upstream": upstream.text()}
    )


async def plain(request: HttpRequest) -> HttpResponse:
    return HttpResponse("plain")


urlpatterns = [path("every-path/", every_path), path("plain/", plain)]
