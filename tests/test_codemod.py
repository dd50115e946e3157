"""The codemod: fixture files before/after, idempotence, and converted views that answer as
the sync ones did, against the same database."""

import io
import shutil
import types
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from django_asyncx.codemod import NOTE, migrate_paths, migrate_source
from tests.support.codemod import sync_views
from tests.support.testapp.models import Author, Book

FIXTURES = Path(__file__).parent / "support" / "codemod"
SYNC_VIEWS = Path(sync_views.__file__)


def test_a_views_module_converts_to_the_expected_text():
    before = (FIXTURES / "views_before.txt").read_text()
    migration = migrate_source(before)
    assert migration.after == (FIXTURES / "views_after.txt").read_text()
    assert migration.converted == ["book_list", "book_detail", "order", "stats"]
    compile(migration.after, "views.py", "exec")


def test_what_it_cannot_convert_is_left_with_a_note_saying_why():
    migration = migrate_source((FIXTURES / "views_before.txt").read_text())
    assert [note.split(":")[0] for note in migration.notes] == [
        "helper() is a sync function of this module",
        "a generator view is left sync",
    ]
    # The generator view stays sync, under its note; the already-async view is untouched.
    assert f"{NOTE}a generator view is left sync" in migration.after
    assert "\ndef feed(request):" in migration.after
    assert "\nasync def already(request):\n    return JsonResponse({})" in migration.after


@pytest.mark.parametrize("fixture", ["views_before.txt", "sync_views.py"])
def test_a_second_run_changes_nothing(fixture):
    once = migrate_source((FIXTURES / fixture).read_text()).after
    twice = migrate_source(once)
    assert twice.after == once
    assert twice.converted == []
    assert twice.notes == []


@pytest.mark.parametrize(
    ("sync", "converted"),
    [
        ("render(request, 't.html')", "await arender(request, 't.html')"),
        ("Book.objects.filter(a=1).exists()", "await Book.objects.filter(a=1).aexists()"),
        ("author.book_set.count()", "await author.book_set.acount()"),
        ("Book.objects.in_bulk([1])", "await Book.objects.ain_bulk([1])"),
        ("request.user.is_staff", "(await request.auser()).is_staff"),
    ],
)
def test_one_expression(sync, converted):
    source = (
        f"from django.shortcuts import render\n\n\ndef view(request, author):\n    return {sync}\n"
    )
    after = migrate_source(source).after
    assert f"async def view(request, author):\n    return {converted}\n" in after


def test_requests_arguments_the_client_does_not_take_are_left_with_a_note():
    source = "import requests\n\n\ndef view(request):\n    return requests.get('u', verify=False)\n"
    migration = migrate_source(source)
    assert "requests.get('u', verify=False)" in migration.after
    assert migration.notes == [
        "requests.get() with verify blocks the event loop and has no direct equivalent: call "
        "the upstream with `await request.http.request(...)` (django_asyncx.http)"
    ]


def test_class_based_views_get_a_note_naming_their_async_twin():
    source = (
        "from django.views.generic import ListView\n\n\nclass Books(ListView):\n    model = None\n"
    )
    migration = migrate_source(source)
    assert migration.notes == [
        "class-based view: use django_asyncx.views' async twin (ListView -> AsyncListView) "
        "and make its overridden methods async"
    ]
    assert migrate_source(migration.after).after == migration.after


def _load_converted():
    migration = migrate_source(SYNC_VIEWS.read_text())
    module = types.ModuleType("tests.support.codemod.converted_views")
    exec(compile(migration.after, "converted_views.py", "exec"), module.__dict__)
    return module


@pytest.mark.django_db(transaction=True)
def test_converted_views_answer_as_the_sync_ones_did():
    converted = _load_converted()
    rf = RequestFactory()
    ann = Author.objects.create(name="Ann")
    for title in ("B", "A", "C"):
        Book.objects.create(title=title, author=ann, summary="s")

    def both(name, *args):
        sync = getattr(sync_views, name)(*args)
        async_ = async_to_sync(getattr(converted, name))(*args)
        return sync, async_

    sync, async_ = both("book_list", rf.get("/books/"))
    assert (sync.status_code, sync.content) == (async_.status_code, async_.content)
    assert sync.content.decode().strip() == "3:A by Ann;B by Ann;C by Ann;"

    sync, async_ = both("author_titles", rf.get("/"), ann.pk)
    assert sync.content == async_.content

    book = Book.objects.get(title="A")
    sync, async_ = both("book_detail", rf.get("/"), book.pk)
    assert (sync.status_code, async_.status_code) == (200, 200)
    book.refresh_from_db()
    assert book.summary == "s++"  # each version saved once

    sync = sync_views.add_book(rf.post("/", {"title": "D", "author": ann.pk}))
    async_ = async_to_sync(converted.add_book)(rf.post("/", {"title": "E", "author": ann.pk}))
    assert (sync.status_code, sync["Location"]) == (async_.status_code, async_["Location"])
    assert sorted(Book.objects.filter(summary="added").values_list("title", flat=True)) == [
        "D",
        "E",
    ]
    sync = sync_views.add_book(rf.post("/", {"title": ""}))
    async_ = async_to_sync(converted.add_book)(rf.post("/", {"title": ""}))
    assert (sync.status_code, sync.content) == (async_.status_code, async_.content) != (200, b"")


def test_the_command_prints_a_diff_and_writes_only_when_asked(tmp_path):
    app = tmp_path / "shop"
    app.mkdir()
    views = app / "views.py"
    shutil.copy(FIXTURES / "views_before.txt", views)
    out = io.StringIO()
    call_command("asyncx_migrate", str(tmp_path), stdout=out)
    printed = out.getvalue()
    assert "+async def book_list(request):" in printed
    assert "would convert 4 view(s) in 1 of 1 file(s); 2 note(s) left" in printed
    assert views.read_text() == (FIXTURES / "views_before.txt").read_text()

    with pytest.raises(SystemExit) as exited:
        call_command("asyncx_migrate", str(views), "--check", stdout=io.StringIO())
    assert exited.value.code == 1

    out = io.StringIO()
    call_command("asyncx_migrate", str(views), "--write", stdout=out)
    assert "converted 4 view(s) in 1 of 1 file(s)" in out.getvalue()
    assert views.read_text() == (FIXTURES / "views_after.txt").read_text()

    out = io.StringIO()
    call_command("asyncx_migrate", str(views), "--check", stdout=out)
    assert "would convert 0 view(s) in 0 of 1 file(s); 0 note(s) left" in out.getvalue()


def test_the_command_names_a_path_that_does_not_exist(tmp_path):
    with pytest.raises(CommandError, match=r"nothing\.py is not a file or folder"):
        call_command("asyncx_migrate", str(tmp_path / "nothing.py"))
    assert migrate_paths([tmp_path]) == []
