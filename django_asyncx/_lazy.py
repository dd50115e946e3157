"""Package names that import their module on first access, for a package ``__init__``.

Used only where importing the module at once would cost something real: aiohttp for the
HTTP client, an app registry that is not ready yet for middleware named in settings.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, /, **modules: str) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: each name imports its module when first read.

    ``modules`` maps each name to the module that defines it, relative to ``package`` when
    it starts with a dot: ``__getattr__ = lazy_exports(__name__, Client=".client")``.
    """

    def __getattr__(name: str) -> Any:
        module = modules.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(import_module(module, package), name)

    return __getattr__
