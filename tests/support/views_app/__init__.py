"""Views, URLs and helpers for the handler, middleware and view-decorator tests."""
