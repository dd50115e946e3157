"""The example project: its views in-process, seed_demo, and /api/books/ over real HTTP.

Live tests run the project as a user would: ``manage.py migrate`` and ``seed_demo`` in a
subprocess against a fresh database (SQLite, PostgreSQL, MariaDB), then uvicorn; the JSON
served is compared with what the ORM returns for the same query.
"""

import datetime
import io
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from demo.models import Author, Book
from django.core.management import CommandError, call_command

from django_asyncx.testing.databases import database_alias

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLE = ROOT / "example_project"

in_process = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.support.example_urls"),
]


def seed(*args, **options):
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out, **options)
    return out.getvalue()


def expected_books(alias, *, author=None, limit=20):
    """The ORM's answer to the query /api/books/ serves, shaped as its JSON."""
    books = Book.objects.using(alias).select_related("author").order_by("-published", "id")
    if author is not None:
        books = books.filter(author_id=author)
    return [
        {
            "id": book.pk,
            "title": book.title,
            "author": {"id": book.author.pk, "name": book.author.name},
            "published": book.published.isoformat(),
            "price": str(book.price),
        }
        for book in books[:limit]
    ]


# --------------------------------------------------------------------------- in process


@pytest.mark.usefixtures("_in_process")
class TestViews:
    @pytest.fixture
    def _in_process(self):
        seed("--authors", "4", "--books-per-author", "6")

    pytestmark = in_process

    async def test_books_lists_the_newest_first(self, async_client):
        response = await async_client.get("/api/books/")
        assert response.status_code == 200
        data = response.json()
        assert data["count"] == 20
        dates = [book["published"] for book in data["books"]]
        assert dates == sorted(dates, reverse=True)
        first = await Book.objects.select_related("author").order_by("-published", "id").afirst()
        assert data["books"][0] == {
            "id": first.pk,
            "title": first.title,
            "author": {"id": first.author.pk, "name": first.author.name},
            "published": first.published.isoformat(),
            "price": str(first.price),
        }

    async def test_books_filters_by_author_and_limits(self, async_client):
        author = await Author.objects.order_by("pk").alast()
        response = await async_client.get(f"/api/books/?author={author.pk}&limit=4")
        books = response.json()["books"]
        assert len(books) == 4
        assert {book["author"]["id"] for book in books} == {author.pk}
        everything = await async_client.get(f"/api/books/?author={author.pk}&limit=100")
        assert everything.json()["count"] == 6

    @pytest.mark.parametrize(
        ("query", "message"),
        [
            ("limit=0", "?limit= must be an integer from 1 to 100, got '0'"),
            ("limit=101", "?limit= must be an integer from 1 to 100, got '101'"),
            ("limit=ten", "?limit= must be an integer from 1 to 100, got 'ten'"),
            ("author=-3", "?author= must be an integer from 1 to"),
        ],
    )
    async def test_bad_parameters_get_a_400_that_says_what_is_accepted(
        self, async_client, query, message
    ):
        response = await async_client.get(f"/api/books/?{query}")
        assert response.status_code == 400
        assert response.json()["error"].startswith(message)

    async def test_stats_counts_and_page_views(self, async_client):
        await async_client.get("/api/books/")
        response = await async_client.get("/api/stats/")
        assert response.json() == {
            "authors": 4,
            "books": 24,
            "page_views": 2,
            "database": "sqlite",
        }

    async def test_home_links_the_api_and_names_the_database(self, async_client):
        response = await async_client.get("/")
        assert response.status_code == 200
        html = response.content.decode()
        assert 'href="/api/books/"' in html
        assert 'href="/api/stats/"' in html
        assert "database: <strong>sqlite</strong>" in html


@pytest.mark.django_db(transaction=True)
class TestSeedDemo:
    def test_creates_the_requested_rows(self):
        output = seed("--authors", "7", "--books-per-author", "3", "--batch-size", "5")
        assert Author.objects.count() == 7
        assert Book.objects.count() == 21
        assert set(Book.objects.values_list("author", flat=True)) == set(
            Author.objects.values_list("pk", flat=True)
        )
        assert output.rstrip().endswith("seeded 7 authors and 21 books (default)")
        book = Book.objects.first()
        assert isinstance(book.price, Decimal)
        assert Decimal("4.99") <= book.price <= Decimal("89.99")
        assert datetime.date(1990, 1, 1) <= book.published

    def test_draws_a_progress_bar_line_per_step_when_not_a_terminal(self):
        output = seed("--authors", "2", "--books-per-author", "10", "--batch-size", "5")
        bars = re.findall(r"^(authors|books  ) \[([#-]{30})\] +(\d+)% (\d+)/(\d+)$", output, re.M)
        # Books are inserted 5 at a time: 4 batches, each crossing a tenth, so 4 lines.
        assert [(label.strip(), done, total) for label, _, _, done, total in bars] == [
            ("authors", "2", "2"),
            ("books", "5", "20"),
            ("books", "10", "20"),
            ("books", "15", "20"),
            ("books", "20", "20"),
        ]
        assert bars[-1][1] == "#" * 30
        assert "\r" not in output

    def test_redraws_one_line_on_a_terminal(self):
        class Terminal(io.StringIO):
            def isatty(self):
                return True

        out = Terminal()
        call_command("seed_demo", "--authors", "1", "--books-per-author", "4",
                     "--batch-size", "2", stdout=out)  # fmt: skip
        lines = out.getvalue().split("\n")
        assert lines[1].split("\r")[1:] == [
            "books   [###############---------------]  50% 2/4",
            "books   [##############################] 100% 4/4",
        ]

    def test_if_empty_does_nothing_when_there_is_data(self):
        seed("--authors", "2", "--books-per-author", "2")
        output = seed("--if-empty", "--authors", "50")
        assert output.strip() == "demo data already present (2 authors, 4 books): nothing to do"
        assert Author.objects.count() == 2
        assert Book.objects.count() == 4

    def test_without_if_empty_it_adds_more(self):
        seed("--authors", "2", "--books-per-author", "2")
        seed("--authors", "3", "--books-per-author", "1", "--seed", "7")
        assert Author.objects.count() == 5
        assert Book.objects.count() == 7

    def test_same_seed_gives_the_same_data(self):
        seed("--authors", "3", "--books-per-author", "2", "--seed", "5")
        first = list(Book.objects.order_by("pk").values_list("title", "published", "price"))
        Book.objects.all().delete()
        Author.objects.all().delete()
        seed("--authors", "3", "--books-per-author", "2", "--seed", "5")
        again = list(Book.objects.order_by("pk").values_list("title", "published", "price"))
        assert first == again

    def test_bad_arguments_are_rejected_naming_the_option(self):
        with pytest.raises(CommandError, match="--authors: expected an integer >= 1, got '0'"):
            seed("--authors", "0")
        with pytest.raises(CommandError, match="--batch-size: expected an integer >= 1"):
            seed("--batch-size", "x")
        assert Author.objects.count() == 0


# --------------------------------------------------------------------------- over real HTTP


def manage(env, *args):
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=EXAMPLE, capture_output=True, text=True,
        check=False, timeout=300, env={**os.environ, **env},
    )  # fmt: skip
    assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result.stdout


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def example_database_url(request, tmp_path):
    """A fresh, empty database for the example project, by URL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'example.sqlite3'}"
    fixture = {
        "postgresql": "asyncx_fresh_postgres_database",
        "mariadb": "asyncx_fresh_mariadb_database",
    }
    return request.getfixturevalue(fixture[request.param]).url


@pytest.mark.servers
def test_books_over_http_match_the_orm(example_database_url, asyncx_live_server_factory,
                                       django_db_blocker):  # fmt: skip
    env = {"DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": example_database_url}
    manage(env, "migrate", "--no-input", "-v0")
    seeded = manage(env, "seed_demo", "--authors", "5", "--books-per-author", "8", "--if-empty")
    assert "seeded 5 authors and 40 books (default)" in seeded
    live = asyncx_live_server_factory("config.asgi:application", cwd=EXAMPLE, env=env)

    with django_db_blocker.unblock(), database_alias("example", example_database_url) as db:
        authors = list(Author.objects.using("example").values_list("pk", flat=True))
        queries = [
            ("/api/books/", {}),
            ("/api/books/?limit=100", {"limit": 100}),
            (f"/api/books/?author={authors[2]}&limit=5", {"author": authors[2], "limit": 5}),
            (f"/api/books/?author={authors[-1]}", {"author": authors[-1]}),
        ]
        for path, query in queries:
            response = live.get(path)
            assert response.status == 200, response.text
            expected = expected_books("example", **query)
            assert response.json() == {"count": len(expected), "books": expected}
        vendor = db.vendor

    assert [len(live.get(path).json()["books"]) for path, _ in queries] == [20, 40, 5, 8]
    stats = live.get("/api/stats/").json()
    assert stats == {"authors": 5, "books": 40, "page_views": 9, "database": vendor}
    live.stop()
    assert "INFO demo: closing page-view counter (9 views)" in live.stderr
