"""django_asyncx: async Django made real.

Importing this package is cheap on purpose: it holds the version only, so that settings
modules and ``INSTALLED_APPS`` can name it without pulling in aiohttp, asyncpg or Jinja2.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
