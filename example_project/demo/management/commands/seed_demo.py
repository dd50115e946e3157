"""``manage.py seed_demo``: fill the demo's tables with authors and books.

    python manage.py seed_demo --authors 20 --books-per-author 10
    python manage.py seed_demo --if-empty      # do nothing when there is data already

Rows are inserted with ``bulk_create`` in batches; a progress bar is drawn on stdout (one
redrawn line on a terminal, one line per step otherwise). The data is the same for the same
``--seed``.
"""

from __future__ import annotations

import argparse
import datetime
import random
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, transaction

from demo.models import Author, Book

FIRST = [
    "Ada",
    "Alan",
    "Barbara",
    "Claude",
    "Donald",
    "Edsger",
    "Frances",
    "Grace",
    "Guido",
    "John",
    "Ken",
    "Leslie",
    "Linus",
    "Margaret",
    "Niklaus",
    "Radia",
    "Shafi",
    "Tim",
]
LAST = [
    "Allen",
    "Backus",
    "Dijkstra",
    "Goldwasser",
    "Hamilton",
    "Hopper",
    "Kay",
    "Knuth",
    "Lamport",
    "Liskov",
    "Lovelace",
    "McCarthy",
    "Perlman",
    "Ritchie",
    "Shannon",
    "Turing",
    "Wirth",
    "Thompson",
]
ADJECTIVES = [
    "Async",
    "Concurrent",
    "Practical",
    "Structured",
    "Elegant",
    "Lazy",
    "Durable",
    "Distributed",
    "Patient",
    "Typed",
    "Reliable",
    "Quiet",
]
NOUNS = [
    "Loops",
    "Queries",
    "Futures",
    "Transactions",
    "Channels",
    "Threads",
    "Lifespans",
    "Migrations",
    "Caches",
    "Streams",
    "Signals",
    "Cursors",
]


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {value!r}")
    return number


class ProgressBar:
    """A progress bar drawn with plain characters on a Django ``OutputWrapper``.

    On a terminal it redraws one line; otherwise (a pipe, a file, a test) it writes one line
    each time another tenth of the work is done, so logs stay short and readable.
    """

    def __init__(self, out: Any, total: int, label: str, *, width: int = 30) -> None:
        self.out = out
        self.total = max(total, 1)
        self.label = label
        self.width = width
        self.done = 0
        self.tty = bool(getattr(out, "isatty", lambda: False)())
        self._last_tenth = -1

    def advance(self, count: int) -> None:
        """Record ``count`` more items done, and redraw when it shows."""
        self.done = min(self.done + count, self.total)
        tenth = self.done * 10 // self.total
        if self.tty:
            self.out.write("\r" + self.render(), ending="")
            self.out.flush()
        elif tenth != self._last_tenth:
            self.out.write(self.render())
        self._last_tenth = tenth

    def finish(self) -> None:
        """End the bar's line."""
        if self.tty:
            self.out.write("")

    def render(self) -> str:
        """The bar as text: ``books [##########----------]  50% 100/200``."""
        filled = self.done * self.width // self.total
        percent = self.done * 100 // self.total
        bar = "#" * filled + "-" * (self.width - filled)
        return f"{self.label} [{bar}] {percent:3d}% {self.done}/{self.total}"


class Command(BaseCommand):
    help = "Seed the demo app with authors and books (bulk inserts, with a progress bar)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--authors",
            type=_positive,
            default=20,
            metavar="N",
            help="authors to create (default: 20)",
        )
        parser.add_argument(
            "--books-per-author",
            type=_positive,
            default=10,
            metavar="M",
            help="books per author (default: 10)",
        )
        parser.add_argument(
            "--batch-size", type=_positive, default=500, help="rows per INSERT (default: 500)"
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=2024,
            help="random seed: the same seed gives the same data (default: 2024)",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when the demo tables already hold data",
        )
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="database alias (default: 'default')"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        using: str = options["database"]
        existing_authors = Author.objects.using(using).count()
        existing_books = Book.objects.using(using).count()
        if options["if_empty"] and (existing_authors or existing_books):
            self.stdout.write(
                f"demo data already present ({existing_authors} authors, {existing_books} "
                "books): nothing to do"
            )
            return
        rng = random.Random(options["seed"])
        n_authors: int = options["authors"]
        per_author: int = options["books_per_author"]
        batch: int = options["batch_size"]

        names = self._author_names(rng, n_authors, start=existing_authors)
        taken = set(
            Author.objects.using(using).filter(name__in=names).values_list("name", flat=True)
        )
        if taken:
            raise CommandError(
                f"authors {sorted(taken)[:3]} already exist; use --seed with another value "
                "or --if-empty"
            )
        with transaction.atomic(using=using):
            bar = ProgressBar(self.stdout, n_authors, "authors")
            for start in range(0, n_authors, batch):
                chunk = [Author(name=name) for name in names[start : start + batch]]
                Author.objects.using(using).bulk_create(chunk)
                bar.advance(len(chunk))
            bar.finish()
            # Re-read the ids: not every backend returns them from bulk_create.
            author_ids = list(
                Author.objects.using(using)
                .filter(name__in=names)
                .order_by("name")
                .values_list("pk", flat=True)
            )
            total = n_authors * per_author
            bar = ProgressBar(self.stdout, total, "books  ")
            pending: list[Book] = []
            for author_id in author_ids:
                for _ in range(per_author):
                    pending.append(self._book(rng, author_id))
                    if len(pending) == batch:
                        Book.objects.using(using).bulk_create(pending)
                        bar.advance(len(pending))
                        pending = []
            if pending:
                Book.objects.using(using).bulk_create(pending)
                bar.advance(len(pending))
            bar.finish()
        self.stdout.write(
            self.style.SUCCESS(f"seeded {n_authors} authors and {total} books ({using})")
        )

    @staticmethod
    def _author_names(rng: random.Random, count: int, *, start: int) -> list[str]:
        # A serial number keeps names unique however many authors are asked for.
        return [f"{rng.choice(FIRST)} {rng.choice(LAST)} #{start + i + 1}" for i in range(count)]

    @staticmethod
    def _book(rng: random.Random, author_id: int) -> Book:
        title = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
        if rng.random() < 0.5:
            title += f", volume {rng.randint(1, 4)}"
        published = datetime.date(1990, 1, 1) + datetime.timedelta(days=rng.randint(0, 12_000))
        price = Decimal(rng.randint(499, 8999)) / 100
        return Book(author_id=author_id, title=title, published=published, price=price)
