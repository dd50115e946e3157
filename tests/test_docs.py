"""The docs stay true: every setting is documented, every cookbook recipe is run by a test."""

import re
import tomllib
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
# directive would show as an empty block there), marked with the file it copies. A copy of
# code that is deliberately not formatted (the codemod's output) is a code-block directive,
# which the formatter leaves alone.
INLINE_RECIPE = re.compile(
    r"<!-- recipe: (?P<path>\S+)(?: lines (?P<first>\d+)-(?P<last>\d+))? -->\n"
    r"```(?:python|nginx|ini|\{code-block\} python)\n(?P<code>.*?)```\n",
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


ROOT = DOCS.parent
# The README's "How fast" rows name a row of a table of the performance page.
README_BENCH_BLOCKS = {"JSON": "views_p1_json", "template, one query": "views_p1_page"}


def _table_rows(text: str) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith("| ") and not line.startswith("|---")
    ]


def test_the_readme_quotes_the_performance_page_figures():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## How fast", 1)[1].split("\n## ", 1)[0]
    assert "(docs/performance.md)" in section
    quoted = _table_rows(section)[1:]
    assert quoted
    page = (DOCS / "performance.md").read_text()
    for view, target, vs_stock, vs_wsgi in quoted:
        name = README_BENCH_BLOCKS[view]
        block = page.split(f"% begin bench:{name}\n", 1)[1].split(f"% end bench:{name}\n", 1)[0]
        header, *rows = _table_rows(block)
        [row] = [row for row in rows if row[0] == target]
        measured = dict(zip(header, row, strict=True))
        assert (measured["vs stock ASGI"], measured["vs WSGI"]) == (vs_stock, vs_wsgi), target


def test_the_hosted_docs_build_installs_the_docs_dependency_group():
    with (ROOT / "pyproject.toml").open("rb") as file:
        group = tomllib.load(file)["dependency-groups"]["docs"]
    lines = (DOCS / "requirements.txt").read_text().splitlines()
    assert [line for line in lines if line and not line.startswith("#")] == group
    config = (DOCS / ".readthedocs.yaml").read_text()
    assert "configuration: docs/conf.py" in config
    assert "requirements: docs/requirements.txt" in config
