"""``python -m tests.django_suite``: run, compare, check the known list (see the package)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from . import apps as app_lists
from .compare import KNOWN, check, compare, read_known, table
from .runner import RESULTS
from .settings import _ENGINE
from .source import CACHE, tests_dir

ROOT = Path(__file__).resolve().parents[2]
BEGIN, END = "<!-- django-suite table: begin -->", "<!-- django-suite table: end -->"


def _run(kind: str, tests: Path, apps: list[str], results: Path) -> float:
    env = {**os.environ, RESULTS: str(results), "PYTHONPATH": str(ROOT)}
    runtests = ["--settings", "tests.django_suite.settings", "--noinput", "--parallel", "1"]
    if kind == "stock":
        env[_ENGINE] = "django.db.backends.postgresql"
        command = [sys.executable, str(tests / "runtests.py")]
    else:
        env[_ENGINE] = "tests.django_suite.engine"
        command = [sys.executable, "-m", "tests.django_suite.native_run", str(tests)]
    log = results.with_suffix(".log")
    started = time.monotonic()
    with log.open("w") as out:
        subprocess.run([*command, *runtests, *apps], env=env, cwd=ROOT, stdout=out,
                       stderr=subprocess.STDOUT, check=False)  # fmt: skip
    took = time.monotonic() - started
    if not results.is_file():
        tail = log.read_text().splitlines()[-30:]
        raise SystemExit(f"the {kind} run wrote no results; the end of {log}:\n" + "\n".join(tail))
    print(f"{kind}: {took:.0f} s ({log})", flush=True)
    return took


def _write_docs(path: Path, text: str) -> None:
    page = path.read_text()
    head, rest = page.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.django_suite", description=__doc__)
    parser.add_argument("--subset", choices=sorted(app_lists.SUBSETS), default="all")
    parser.add_argument("--apps", nargs="+", help="these apps instead of a subset")
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--stock-only", action="store_true", help="reuse the last native results")
    only.add_argument("--native-only", action="store_true", help="reuse the last stock results")
    only.add_argument("--compare-only", action="store_true", help="reuse both last results")
    parser.add_argument("--results", type=Path, default=CACHE / "results")
    parser.add_argument("--write-docs", type=Path, help="put the table into this Markdown page")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every difference")
    args = parser.parse_args(argv)
    apps = args.apps or app_lists.SUBSETS[args.subset]
    tests = tests_dir()
    args.results.mkdir(parents=True, exist_ok=True)
    stock_file, native_file = args.results / "stock.json", args.results / "native.json"
    for kind, path, reuse in (("stock", stock_file, args.native_only),
                              ("native", native_file, args.stock_only)):  # fmt: skip
        if not (reuse or args.compare_only):
            path.unlink(missing_ok=True)
            _run(kind, tests, apps, path)
    stock = json.loads(stock_file.read_text())
    native = json.loads(native_file.read_text())
    wanted = set(apps)
    stock = {test: value for test, value in stock.items() if test.split(".", 1)[0] in wanted}
    native = {test: value for test, value in native.items() if test.split(".", 1)[0] in wanted}
    comparison = compare(stock, native)
    print(table(comparison))
    new, gone = check(comparison, read_known(), apps)
    for test, (before, after, error) in comparison.differences.items():
        if args.verbose or test in new:
            mark = "NEW " if test in new else ""
            print(f"  {mark}{test}: {before} -> {after}  {error}")
    if args.write_docs:
        _write_docs(args.write_docs, table(comparison))
    if new:
        print(f"{len(new)} new difference(s): fix them, or add them to {KNOWN} with a reason")
    if gone:
        print(f"{len(gone)} known difference(s) no longer happen; remove them from {KNOWN}:")
        print("\n".join(f"  {test}" for test in gone))
    return 1 if new or gone else 0


if __name__ == "__main__":
    sys.exit(main())
