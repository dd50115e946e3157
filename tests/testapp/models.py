"""Models the library's own tests use (the example project's ``demo`` app is installed too)."""
