"""Example pages rendered with django_asyncx.templates: arender, streaming, Jinja2 async."""
