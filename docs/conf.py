"""Sphinx configuration: MyST Markdown pages, furo theme, API pages from docstrings."""

import sys
from pathlib import Path

import django
from django.conf import settings

root = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(root), str(root / "example_project")]

# autodoc imports the package; a minimal configuration is enough for that.
settings.configure(
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "django_asyncx"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
)
django.setup()

import django_asyncx  # noqa: E402

project = "django_asyncx"
author = "django_asyncx developers"
copyright = "2026, django_asyncx developers"
release = django_asyncx.__version__

extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.viewcode"]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "cookbook/*.py"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
nitpicky = False

html_theme = "furo"
html_title = f"django_asyncx {release}"
html_static_path = ["_static"]
