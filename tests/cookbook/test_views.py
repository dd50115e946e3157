"""Every recipe in docs/cookbook/views/ (views, decorators, middleware) runs and holds."""

import importlib.util
from pathlib import Path

import pytest

COOKBOOK = Path(__file__).resolve().parent.parent.parent / "docs" / "cookbook" / "views"
RECIPES = sorted(COOKBOOK.glob("*.py"))

pytestmark = pytest.mark.django_db(transaction=True)


def load(path):
    spec = importlib.util.spec_from_file_location(f"cookbook_views_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    import sys

    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_there_is_a_recipe_per_decorator_and_for_the_views():
    assert {p.stem for p in RECIPES} >= {
        "timeout",
        "limit_concurrency",
        "cache_page",
        "conditional",
        "async_view",
        "generic",
        "generic_display",
        "generic_edit",
        "generic_access",
        "middleware_swap",
        "middleware_loop_safe",
        "middleware_sync_run",
        "middleware_whitenoise",
    }


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.stem)
async def test_recipe_runs(path):
    await load(path).demo()
