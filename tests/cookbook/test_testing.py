"""The testing guide's examples (docs/cookbook/testing/) are test modules: run them here."""

import importlib.util
import sys
from pathlib import Path

COOKBOOK = Path(__file__).resolve().parent.parent.parent / "docs" / "cookbook" / "testing"


def _load(name: str) -> dict[str, object]:
    spec = importlib.util.spec_from_file_location(
        f"cookbook_testing_{name}", COOKBOOK / f"{name}.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return {
        key: value
        for key, value in vars(module).items()
        if key.startswith(("test_", "Test"))
        or key.endswith("Tests")
        or key == "alice"
        or key == "pytestmark"
    }


# Collected by pytest from this module's namespace: the TestCase classes, the test functions
# and their fixtures.
globals().update(_load("testcase"))
globals().update(_load("pytest_db"))
globals().update(_load("transaction_testcase"))
