"""A ``DiscoverRunner`` that records each test's outcome as JSON (``ASYNCX_SUITE_RESULTS``).

``{test id: [outcome, detail]}``, outcome one of ok, fail, error, skip, xfail, xpass; a
failing subtest makes its test fail; detail is the tail of the traceback or the skip reason.
"""

from __future__ import annotations

import json
import os
import unittest
from typing import Any

from django.test.runner import DiscoverRunner

RESULTS = "ASYNCX_SUITE_RESULTS"


class RecordingResult(unittest.TextTestResult):
    outcomes: dict[str, list[str]] = {}

    def _put(self, test: Any, outcome: str, detail: str = "") -> None:
        previous = RecordingResult.outcomes.get(test.id())
        if previous is not None and previous[0] in ("fail", "error") and outcome == "ok":
            return  # a subtest failed: the test fails
        RecordingResult.outcomes[test.id()] = [outcome, detail[-2000:]]

    def addSuccess(self, test: Any) -> None:
        super().addSuccess(test)
        self._put(test, "ok")

    def addFailure(self, test: Any, err: Any) -> None:
        super().addFailure(test, err)
        self._put(test, "fail", self._exc_info_to_string(err, test))

    def addError(self, test: Any, err: Any) -> None:
        super().addError(test, err)
        self._put(test, "error", self._exc_info_to_string(err, test))

    def addSkip(self, test: Any, reason: str) -> None:
        super().addSkip(test, reason)
        self._put(test, "skip", reason)

    def addExpectedFailure(self, test: Any, err: Any) -> None:
        super().addExpectedFailure(test, err)
        self._put(test, "xfail")

    def addUnexpectedSuccess(self, test: Any) -> None:
        super().addUnexpectedSuccess(test)
        self._put(test, "xpass")

    def addSubTest(self, test: Any, subtest: Any, err: Any) -> None:
        super().addSubTest(test, subtest, err)
        if err is not None:
            kind = "fail" if issubclass(err[0], test.failureException) else "error"
            self._put(test, kind, self._exc_info_to_string(err, test))


class RecordingRunner(DiscoverRunner):
    """Django's runner, writing :class:`RecordingResult`'s outcomes when the suite ends."""

    def get_resultclass(self) -> Any:
        return RecordingResult

    def run_suite(self, suite: Any, **kwargs: Any) -> Any:
        try:
            return super().run_suite(suite, **kwargs)
        finally:
            if path := os.environ.get(RESULTS):
                with open(path, "w") as out:
                    json.dump(RecordingResult.outcomes, out, indent=0, sort_keys=True)
