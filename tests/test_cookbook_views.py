"""Every recipe in docs/cookbook/ for views and middleware runs and holds."""

import importlib.util
from pathlib import Path

import pytest

COOKBOOK = Path(__file__).resolve().parent.parent / "docs" / "cookbook"
RECIPES = sorted(p for p in COOKBOOK.glob("*.py") if p.name.startswith(("views_", "middleware_")))

pytestmark = pytest.mark.django_db(transaction=True)


def load(path):
    spec = importlib.util.spec_from_file_location(f"cookbook_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    import sys

    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_there_is_a_recipe_per_decorator_and_for_the_views():
    assert {p.stem for p in RECIPES} >= {
        "views_timeout",
        "views_limit_concurrency",
        "views_cache_page",
        "views_conditional",
        "views_async_view",
        "views_generic",
        "views_generic_display",
        "views_generic_edit",
        "views_generic_access",
        "middleware_swap",
    }


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.stem)
async def test_recipe_runs(path):
    await load(path).demo()
