"""Compare a stock run with a native run: the per-app table and the differences.

*Declared*: passes on stock, an expected failure on native (the native path's
``NativeFeatures`` declares it, with its reason); not a difference.

A *difference* is a test that passes (ok, expected failure) or is skipped on one run and
fails (fail, error, unexpected success, missing) on the other, or is skipped on only one.
``known_differences.txt`` lists the differences not yet fixed, one test id a line (``#``
starts a comment); :func:`check` reports the new ones and the listed ones that are gone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

KNOWN = Path(__file__).with_name("known_differences.txt")
_PASSED = frozenset({"ok", "xfail"})

Outcomes = Mapping[str, list[str]]


@dataclass
class AppRow:
    app: str
    tests: int = 0
    stock_passed: int = 0
    native_passed: int = 0
    skipped: int = 0
    declared: int = 0
    differences: int = 0


@dataclass
class Comparison:
    rows: list[AppRow] = field(default_factory=list)
    differences: dict[str, tuple[str, str, str]] = field(default_factory=dict)

    @property
    def total(self) -> AppRow:
        total = AppRow("total")
        for row in self.rows:
            total.tests += row.tests
            total.stock_passed += row.stock_passed
            total.native_passed += row.native_passed
            total.skipped += row.skipped
            total.declared += row.declared
            total.differences += row.differences
        return total


def _kind(outcome: str) -> str:
    return "passed" if outcome in _PASSED else "skipped" if outcome == "skip" else "failed"


def _last_line(detail: str) -> str:
    lines = [line for line in detail.strip().splitlines() if line.strip()]
    return lines[-1].strip()[:200] if lines else ""


def compare(stock: Outcomes, native: Outcomes) -> Comparison:
    """The table (apps in name order) and ``{test id: (stock, native, native's error)}``."""
    rows: dict[str, AppRow] = {}
    result = Comparison()
    for test in sorted(set(stock) | set(native)):
        before = stock.get(test, ["missing", ""])
        after = native.get(test, ["missing", ""])
        app = test.split(".", 1)[0]
        row = rows.setdefault(app, AppRow(app))
        row.tests += 1
        row.stock_passed += before[0] in _PASSED
        row.native_passed += after[0] in _PASSED
        row.skipped += before[0] == "skip"
        row.declared += before[0] == "ok" and after[0] == "xfail"
        if _kind(before[0]) != _kind(after[0]):
            row.differences += 1
            result.differences[test] = (before[0], after[0], _last_line(after[1]))
    result.rows = [rows[app] for app in sorted(rows)]
    return result


def read_known(path: Path = KNOWN) -> set[str]:
    """The test ids of the known list."""
    known = set()
    for line in path.read_text().splitlines():
        test = line.split("#", 1)[0].strip()
        if test:
            known.add(test)
    return known


def check(
    comparison: Comparison, known: set[str], apps: Iterable[str]
) -> tuple[list[str], list[str]]:
    """``(new, gone)``: differences not in ``known``, and known ones of the apps that ran
    that did not happen."""
    ran = set(apps)
    found = set(comparison.differences)
    gone = {test for test in known - found if test.split(".", 1)[0] in ran}
    return sorted(found - known), sorted(gone)


def table(comparison: Comparison) -> str:
    """The per-app table as Markdown."""
    lines = [
        "| app | tests | skipped | stock passed | native passed | declared | differences |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in [*comparison.rows, comparison.total]:
        name = f"**{row.app}**" if row.app == "total" else f"`{row.app}`"
        lines.append(
            f"| {name} | {row.tests} | {row.skipped} | {row.stock_passed} | "
            f"{row.native_passed} | {row.declared} | {row.differences} |"
        )
    return "\n".join(lines)
