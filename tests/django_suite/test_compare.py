"""The harness's comparison: what counts as a difference, and the known list's two checks."""

from tests.django_suite.compare import check, compare, read_known, table

STOCK = {
    "basic.tests.A.test_ok": ["ok", ""],
    "basic.tests.A.test_broken": ["ok", ""],
    "basic.tests.A.test_skipped": ["skip", "no reason"],
    "basic.tests.A.test_xfail": ["xfail", ""],
    "lookup.tests.B.test_errors": ["ok", ""],
    "lookup.tests.B.test_fixed": ["ok", ""],
    "lookup.tests.B.test_declared": ["ok", ""],
}
NATIVE = {
    "basic.tests.A.test_ok": ["ok", ""],
    "basic.tests.A.test_broken": ["fail", "Traceback\n  ...\nAssertionError: 1 != 2\n"],
    "basic.tests.A.test_skipped": ["skip", "no reason"],
    "basic.tests.A.test_xfail": ["ok", ""],
    "lookup.tests.B.test_errors": ["error", "Traceback\nDataError: boom"],
    "lookup.tests.B.test_fixed": ["ok", ""],
    "lookup.tests.B.test_declared": ["xfail", ""],
}


def test_a_difference_is_a_pass_or_skip_on_one_side_and_a_failure_on_the_other():
    # an expected failure on native (declared by NativeFeatures) is not a difference
    comparison = compare(STOCK, NATIVE)
    assert comparison.differences == {
        "basic.tests.A.test_broken": ("ok", "fail", "AssertionError: 1 != 2"),
        "lookup.tests.B.test_errors": ("ok", "error", "DataError: boom"),
    }
    rows = {
        row.app: (row.tests, row.skipped, row.stock_passed, row.native_passed)
        for row in comparison.rows
    }
    assert rows == {"basic": (4, 1, 3, 2), "lookup": (3, 0, 3, 2)}
    assert comparison.total.differences == 2
    assert "| **total** | 7 | 1 | 6 | 4 | 1 | 2 |" in table(comparison)


def test_a_test_missing_from_one_run_is_a_difference():
    comparison = compare(STOCK, {k: v for k, v in NATIVE.items() if k != "basic.tests.A.test_ok"})
    assert comparison.differences["basic.tests.A.test_ok"] == ("ok", "missing", "")


def test_the_known_list_reports_new_differences_and_listed_ones_that_are_gone(tmp_path):
    known_file = tmp_path / "known.txt"
    known_file.write_text(
        "# a comment\n"
        "lookup.tests.B.test_errors  # DataError, see docs\n"
        "lookup.tests.B.test_fixed   # fixed since\n"
        "schema.tests.C.test_other   # an app that did not run\n"
    )
    known = read_known(known_file)
    new, gone = check(compare(STOCK, NATIVE), known, ["basic", "lookup"])
    assert new == ["basic.tests.A.test_broken"]
    assert gone == ["lookup.tests.B.test_fixed"]
