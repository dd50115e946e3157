"""Django's ``tests/`` directory for the installed Django version (the sdist, cached)."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import django

CACHE = Path(sys.prefix) / "django-suite"


def tests_dir() -> Path:
    """The directory holding ``runtests.py``: ``ASYNCX_DJANGO_TESTS``, else the sdist of the
    installed Django, downloaded with pip and unpacked into the virtualenv once."""
    if configured := os.environ.get("ASYNCX_DJANGO_TESTS"):
        path = Path(configured)
        if not (path / "runtests.py").is_file():
            raise SystemExit(f"ASYNCX_DJANGO_TESTS={configured!r} has no runtests.py")
        return path
    version = django.__version__
    root = CACHE / f"django-{version}"
    if not (root / "tests" / "runtests.py").is_file():
        CACHE.mkdir(parents=True, exist_ok=True)
        archive = CACHE / f"django-{version}.tar.gz"
        if not archive.is_file():
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                 "--no-binary", "django", f"django=={version}", "-d", str(CACHE)],
                check=True,
            )  # fmt: skip
        with tarfile.open(archive) as tar:
            members = [m for m in tar.getmembers() if m.name.startswith(f"django-{version}/tests/")]
            tar.extractall(CACHE, members=members, filter="data")
    return root / "tests"
