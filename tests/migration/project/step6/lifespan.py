"""What runs once when the server starts: django_asyncx's application runs it, Django's does not."""

from datetime import UTC, datetime

from django_asyncx.lifespan import on_startup

started: dict[str, datetime] = {}


@on_startup
async def record_start() -> None:
    started["at"] = datetime.now(UTC)
