"""``manage.py asyncx_migrate PATH...``: convert simple sync views to async (a codemod).

Prints a unified diff of what :mod:`django_asyncx.codemod` would change in each file (a
folder stands for its ``views.py`` files and ``views/`` packages) and a summary: the views
converted and the ``# asyncx:`` notes left where a line could not be converted safely.
Nothing is written unless ``--write`` is given. Running it again changes nothing.
``--check`` exits with status 1 when a file would change (for CI).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

__all__ = ["Command"]


class Command(BaseCommand):
    """Convert simple sync function views to async ones."""

    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", help="files or folders (their views.py)")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--write", action="store_true", help="rewrite the files in place")
        mode.add_argument(
            "--check", action="store_true", help="exit with status 1 if a file would change"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            from django_asyncx.codemod import migrate_paths
        except ImportError as exc:  # libcst is an optional dependency
            raise CommandError(
                f"asyncx_migrate needs libcst ({exc}); install django-asyncx[codemod]"
            ) from exc
        try:
            migrations = migrate_paths(options["paths"], write=options["write"])
        except (FileNotFoundError, SyntaxError) as exc:
            raise CommandError(str(exc)) from exc
        changed = [m for m in migrations if m.changed]
        for migration in changed:
            if not options["write"]:
                self.stdout.write(migration.diff(), ending="")
        for migration in migrations:
            for note in migration.notes:
                self.stdout.write(f"{migration.path}: note: {note}")
        views = sum(len(m.converted) for m in migrations)
        notes = sum(len(m.notes) for m in migrations)
        verb = "converted" if options["write"] else "would convert"
        self.stdout.write(
            f"{verb} {views} view(s) in {len(changed)} of {len(migrations)} file(s); "
            f"{notes} note(s) left"
        )
        if options["check"] and changed:
            raise SystemExit(1)
