"""Every template recipe in docs/cookbook/ runs and holds."""

import importlib.util
import sys
from pathlib import Path

import pytest

COOKBOOK = Path(__file__).resolve().parent.parent.parent / "docs" / "cookbook"
RECIPES = sorted(COOKBOOK.glob("templates_*.py"))

pytestmark = pytest.mark.django_db(transaction=True)


def load(path):
    spec = importlib.util.spec_from_file_location(f"cookbook_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_template_recipes_are_there():
    assert {p.stem for p in RECIPES} == {
        "templates_migrate_render",
        "templates_concurrent_context",
        "templates_streaming",
        "templates_jinja2_async",
        "templates_response",
    }


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.stem)
async def test_recipe_runs(path):
    await load(path).demo()
