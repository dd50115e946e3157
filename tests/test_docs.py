"""The docs stay true: every setting is documented."""

from pathlib import Path

import pytest

from django_asyncx.conf import OPTIONS

DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.mark.parametrize("key", sorted(OPTIONS))
def test_every_setting_has_a_section_in_the_settings_reference(key):
    assert f"## `{key}`" in (DOCS / "settings.md").read_text()
