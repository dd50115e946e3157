"""Recipe: file and CPU work from async code, on pools of their own.

``ASYNCX = {"EXECUTORS": {"hashing": {"max_workers": 2}}}`` keeps slow password hashing
from taking the threads that file reads use (``blocking``, the default pool).
"""

import hashlib
from pathlib import Path

from django_asyncx.executors import blocking, run_in_executor


@blocking(executor="hashing")
def hash_password(password: str, salt: bytes) -> str:
    """A deliberately slow hash: CPU work, off the event loop."""
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 100_000).hex()


async def read_report(path: Path) -> str:
    """Read a file without blocking the loop."""
    return await run_in_executor(path.read_text, encoding="utf-8")
