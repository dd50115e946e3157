"""Showcase of django_asyncx's view decorators and async class-based views."""
