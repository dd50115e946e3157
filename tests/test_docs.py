"""The docs stay true: every setting is documented, every cookbook recipe is run by a test."""

from pathlib import Path

import pytest

from django_asyncx.conf import OPTIONS

DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.mark.parametrize("key", sorted(OPTIONS))
def test_every_setting_has_a_section_in_the_settings_reference(key):
    assert f"## `{key}`" in (DOCS / "settings.md").read_text()


TESTS = Path(__file__).resolve().parent
RECIPES = sorted((DOCS / "cookbook").rglob("*.py"))


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda path: path.stem)
def test_every_cookbook_recipe_is_loaded_by_a_test(recipe):
    # Recipe tests load a recipe by its file name (``recipe("transfer")``); a recipe that no
    # test names is one nobody runs.
    sources = [path.read_text() for path in TESTS.glob("cookbook/test_*.py")]
    assert any(f'"{recipe.stem}"' in source for source in sources), f"{recipe} is run by no test"
