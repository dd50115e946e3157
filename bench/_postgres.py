"""The benchmark databases: create one on the local PostgreSQL, run django-admin against it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable

from ._procs import ROOT, BenchError

__all__ = ["django_admin", "ensure_database"]


def ensure_database(url: str) -> None:
    """Create the database ``url`` names unless it exists; a clear error if PostgreSQL is down."""
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(url)
    name = config["NAME"]
    try:
        with psycopg.connect(
            host=config["HOST"] or None, port=config["PORT"] or None, user=config["USER"],
            password=config["PASSWORD"] or None, dbname="postgres", autocommit=True,
        ) as conn:  # fmt: skip
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        raise BenchError(
            f"PostgreSQL at {url} does not answer ({exc}); set BENCH_DATABASE_URL"
        ) from exc


def django_admin(env: Iterable[tuple[str, str]], *args: str) -> str:
    """Run ``django-admin ARGS`` in the repository with ``env`` over the runner's; its output."""
    result = subprocess.run(
        [sys.executable, "-m", "django", *args], cwd=ROOT, env={**os.environ, **dict(env)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode:
        raise BenchError(f"django-admin {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout
