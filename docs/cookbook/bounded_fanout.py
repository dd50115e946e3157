"""Recipe: many calls, at most N in flight, nothing left running on error.

``gather(*aws, limit=N)`` starts the next call as one finishes; if one fails, the others
are cancelled and the coroutines not started yet are closed, then the error is raised.
"""

from bank.models import Account

from django_asyncx.concurrency import gather
from django_asyncx.db import run_in_db


async def balances(owners: list[str], *, limit: int = 4) -> list[int]:
    """The balance of each owner, at most ``limit`` queries at a time."""
    return await gather(
        *(run_in_db(lambda o=owner: Account.objects.get(owner=o).balance) for owner in owners),
        limit=limit,
    )
