"""Async template rendering: :func:`arender_to_string`, :func:`arender`,
:class:`AsyncTemplateResponse` and :func:`astream_template`.

The native Jinja2 backend is :mod:`django_asyncx.templates.backends.jinja2` (importing this
package does not import Jinja2).
"""

from .render import arender, arender_template, arender_to_string, aresolve_context
from .streaming import astream_template
from .template_response import AsyncTemplateResponse

__all__ = [
    "AsyncTemplateResponse",
    "arender",
    "arender_template",
    "arender_to_string",
    "aresolve_context",
    "astream_template",
]
