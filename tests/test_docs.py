"""The docs stay true: every setting is documented, every cookbook recipe is run by a test."""

import re
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


# A recipe shown on a page is an inline copy (a source-hosting page renders it; an include
# directive would show as an empty block there), marked with the file it copies.
INLINE_RECIPE = re.compile(
    r"<!-- recipe: (?P<path>\S+)(?: lines (?P<first>\d+)-(?P<last>\d+))? -->\n"
    r"```python\n(?P<code>.*?)```\n",
    re.DOTALL,
)
PAGES = sorted(DOCS.glob("*.md"))


@pytest.mark.parametrize("page", PAGES, ids=lambda path: path.name)
def test_recipes_on_a_page_are_inline_copies_of_the_tested_files(page):
    text = page.read_text()
    assert "{literalinclude}" not in text, f"{page.name}: inline the recipe instead"
    for match in INLINE_RECIPE.finditer(text):
        lines = (DOCS / match["path"]).read_text().splitlines(keepends=True)
        if match["first"]:
            lines = lines[int(match["first"]) - 1 : int(match["last"])]
        assert match["code"] == "".join(lines), f"{page.name}: {match['path']} differs"


def test_the_views_page_shows_its_recipes_inline():
    shown = {m["path"] for m in INLINE_RECIPE.finditer((DOCS / "views.md").read_text())}
    assert "cookbook/views/timeout.py" in shown
    assert len(shown) == 9
