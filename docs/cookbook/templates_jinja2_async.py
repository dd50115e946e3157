"""Recipe: Jinja2 with async filters and globals that use the ORM, rendered on the loop.

The backend ``django_asyncx.templates.backends.jinja2.Jinja2`` turns on Jinja2's async mode:
async filters and globals are awaited while rendering, with no thread, and a global may use
the ORM through ``run_in_db``.
"""

from datetime import date

from demo.models import Author, Book
from django.test import override_settings

from django_asyncx.db import run_in_db
from django_asyncx.templates import arender_to_string


async def book_count():
    return await run_in_db(Book.objects.count)


async def initials(name):
    return "".join(part[0] for part in name.split())


def environment(**options):
    """The ``OPTIONS["environment"]`` factory: Django's options plus our filters."""
    from jinja2 import DictLoader, Environment

    options["loader"] = DictLoader({"card.html": "{{ name|initials }}: {{ book_count() }} books"})
    env = Environment(**options)
    env.filters["initials"] = initials
    env.globals["book_count"] = book_count
    return env


TEMPLATES = [
    {
        "BACKEND": "django_asyncx.templates.backends.jinja2.Jinja2",
        "OPTIONS": {"environment": f"{__name__}.environment"},
    }
]


async def demo():
    """Run the recipe."""
    author = await Author.objects.acreate(name="Ada Lovelace")
    await Book.objects.acreate(author=author, title="Notes", published=date(1843, 1, 1), price=1)
    with override_settings(TEMPLATES=TEMPLATES):
        text = await arender_to_string("card.html", {"name": author.name})
    assert text == f"AL: {await Book.objects.acount()} books"
