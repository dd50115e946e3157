"""``manage.py asyncx_audit``: what makes this project's async requests slow, measured.

Prints the project's ASGI application (and whether it is django_asyncx's), each URL's view
(async or sync; third-party URL trees such as the admin one line each), each middleware,
whether it is async-capable and the thread hops it costs per request (counted by sending a
request through the project's ASGI application), sync request signal receivers, the cache
backends, the websocket routes with their consumers (sync or async, which
``database_sync_to_async`` they call), and the fix for each finding. ``--asgi
module:application`` names the application when ``ASGI_APPLICATION`` does not. ``--json``
prints the same as JSON; ``--fail-on-hops N`` exits with status 1 when a request to one of
the project's URLs costs more than N thread hops (the middleware and handler, plus a sync
view's own).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_asyncx.audit import Audit, run_audit

__all__ = ["Command"]

_TITLES = {
    "asgi": "ASGI application",
    "url": "URLs",
    "third-party": "URLs of installed apps",
    "middleware": "Middleware (thread hops per request, measured)",
    "handler": "Handler",
    "signal": "Request signal receivers",
    "cache": "Caches",
    "websocket": "WebSocket middleware (per connection)",
    "consumer": "WebSocket routes and consumers (thread hops per message)",
}


def _non_negative(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise CommandError(f"--fail-on-hops takes a number of hops >= 0, got {value!r}")
    return number


class Command(BaseCommand):
    """Audit the project's async request path."""

    help = __doc__.splitlines()[0] if __doc__ else ""

    def add_arguments(self, parser: CommandParser) -> None:
        """``--asgi``, ``--json`` and ``--fail-on-hops N``."""
        parser.add_argument(
            "--asgi",
            default=None,
            metavar="MODULE:APP",
            help="the ASGI application to measure (default: ASGI_APPLICATION, or the asgi.py "
            "beside WSGI_APPLICATION)",
        )
        parser.add_argument("--json", action="store_true", help="print the audit as JSON")
        parser.add_argument(
            "--fail-on-hops",
            type=str,
            default=None,
            metavar="N",
            help="exit with status 1 when a request costs more than N thread hops",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Run the audit, print it, and apply ``--fail-on-hops``."""
        limit = None if options["fail_on_hops"] is None else _non_negative(options["fail_on_hops"])
        try:
            audit = run_audit(asgi=options["asgi"])
        except (ImportError, AttributeError) as exc:
            raise CommandError(f"--asgi {options['asgi']!r} cannot be loaded: {exc}") from exc
        if options["json"]:
            self.stdout.write(json.dumps(audit.as_dict(), indent=2))
        else:
            self._print(audit)
        worst, route = audit.worst_request
        if limit is not None and worst > limit:
            view = worst - audit.hops_per_request
            raise CommandError(
                f"a request to {route} costs {worst} thread hop(s) ({audit.hops_per_request} "
                f"through the middleware and handler, {view} for its view), more than "
                f"--fail-on-hops {limit}",
                returncode=1,
            )

    def _print(self, audit: Audit) -> None:
        for kind, title in _TITLES.items():
            findings = audit.of(kind)
            if not findings:
                continue
            self.stdout.write(self.style.MIGRATE_HEADING(title))
            for finding in findings:
                mark = self.style.WARNING("!") if finding.hops else " "
                self.stdout.write(f" {mark} {finding.name}: {finding.detail}")
                if finding.fix:
                    self.stdout.write(f"     -> {finding.fix}")
        total = audit.hops_per_request
        line = f"Thread hops per request through the middleware and handler: {total}"
        self.stdout.write(self.style.SUCCESS(line) if total == 0 else self.style.WARNING(line))
        worst, route = audit.worst_request
        if worst != total:
            line = f"The costliest request of the project ({route}): {worst} thread hops"
            self.stdout.write(self.style.WARNING(line))
