"""A native async Jinja2 backend: Django's Jinja2 backend with ``enable_async=True`` that works.

In settings::

    TEMPLATES = [{
        "BACKEND": "django_asyncx.templates.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "jinja2"],
        "OPTIONS": {"environment": "myproject.jinja2.environment"},
    }]

Options are those of Django's backend (``environment``, ``context_processors``, and the Jinja2
``Environment`` arguments). ``enable_async`` is always on, and the ``{% flush %}`` tag of
:class:`FlushExtension` is added (it marks where :func:`~django_asyncx.templates.astream_template`
sends a chunk; elsewhere it renders nothing).

From async code (:func:`~django_asyncx.templates.arender_to_string`, ``arender``,
``AsyncTemplateResponse``) templates render with ``render_async`` on the event loop, no
thread: async filters, tests and globals are awaited (``{{ book_count() }}`` where
``book_count`` is ``async def`` calling ``run_in_db``). Async context processors are awaited;
sync ones run on the loop, so they must not query the database lazily.

From sync code (Django's ``render_to_string`` in a sync view, a management command) a
template renders without ``asyncio.run``: in a thread, its coroutine runs on the server's
event loop through ``async_to_sync`` (or a private loop when there is none, as under WSGI).
On the event loop's own thread it runs to completion when it never waits (no async filter
awaiting I/O); if it has to wait, :class:`~django_asyncx.exceptions.RenderInEventLoopError`
says to await ``arender_to_string()`` instead.

This module imports Jinja2; the rest of django_asyncx does not.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Coroutine, Mapping
from contextlib import aclosing
from typing import Any

import jinja2
from asgiref.sync import async_to_sync, iscoroutinefunction
from django.http import HttpRequest
from django.template import TemplateSyntaxError
from django.template.backends.jinja2 import Jinja2 as DjangoJinja2
from django.template.backends.jinja2 import Template as DjangoJinja2Template
from django.template.backends.jinja2 import get_exception_info
from django.template.backends.utils import csrf_input_lazy, csrf_token_lazy
from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.parser import Parser

from django_asyncx.exceptions import ConfigurationError, RenderInEventLoopError
from django_asyncx.templates.render import ContextProcessor, _aresolve_with_processors

__all__ = ["FLUSH_MARKER", "FlushExtension", "Jinja2", "Template"]

FLUSH_MARKER = "\x00asyncx:flush\x00"
"""What ``{% flush %}`` outputs; streaming splits on it, rendering removes it."""


class FlushExtension(Extension):
    """The ``{% flush %}`` tag: send what is rendered so far when the template is streamed."""

    tags = {"flush"}

    def parse(self, parser: Parser) -> nodes.Node:
        """Parse ``{% flush %}`` (no arguments) into an output of the marker alone."""
        lineno = next(parser.stream).lineno
        return nodes.Output([nodes.TemplateData(FLUSH_MARKER)]).set_lineno(lineno)


_FLUSH_EXTENSION = f"{FlushExtension.__module__}.{FlushExtension.__qualname__}"


class Jinja2(DjangoJinja2):
    """Django's Jinja2 backend, async enabled; its templates are :class:`Template`."""

    def __init__(self, params: dict[str, Any]) -> None:
        params = dict(params)
        options = dict(params.get("OPTIONS") or {})
        if options.get("enable_async", True) is not True:
            raise ConfigurationError(
                f"TEMPLATES backend {params.get('NAME', 'jinja2')!r} "
                f"(django_asyncx.templates.backends.jinja2.Jinja2): OPTIONS['enable_async'] is "
                f"{options['enable_async']!r}; accepted: True or left out (it is always on)"
            )
        options["enable_async"] = True
        extensions = list(options.get("extensions", ()))
        if _FLUSH_EXTENSION not in extensions and FlushExtension not in extensions:
            extensions.append(FlushExtension)
        options["extensions"] = extensions
        params["OPTIONS"] = options
        super().__init__(params)

    def from_string(self, template_code: str) -> Template:
        """Compile ``template_code`` into a :class:`Template`."""
        return Template(super().from_string(template_code).template, self)

    def get_template(self, template_name: str) -> Template:
        """Load ``template_name``; ``TemplateDoesNotExist``/``TemplateSyntaxError`` as Django."""
        return Template(super().get_template(template_name).template, self)


def _syntax_error(exc: jinja2.TemplateSyntaxError) -> TemplateSyntaxError:
    new = TemplateSyntaxError(exc.args)
    new.template_debug = get_exception_info(exc)  # type: ignore[attr-defined, arg-type]
    return new


def _run_without_waiting(coroutine: Coroutine[Any, Any, str], name: str | None) -> str:
    """Run ``coroutine`` to its end right here, or fail if it has to wait for the loop."""
    try:
        coroutine.send(None)
    except StopIteration as finished:
        result: str = finished.value
        return result
    coroutine.close()
    raise RenderInEventLoopError(
        f"template {name!r} awaits something (an async filter or global) and was rendered "
        "synchronously on the event loop's thread; use "
        "`await django_asyncx.templates.arender_to_string(...)` (or arender) there"
    )


class Template(DjangoJinja2Template):
    """A Jinja2 template that renders natively in async code and also from sync code."""

    backend: Jinja2

    def _context(
        self,
        context: Mapping[str, Any] | None,
        request: HttpRequest | None,
        processed: Mapping[ContextProcessor, dict[str, Any]],
    ) -> dict[str, Any]:
        # What Django's Jinja2 backend adds, in the same order (processors override the
        # context there, unlike the Django template language).
        full = dict(context or {})
        if request is not None:
            full["request"] = request
            full["csrf_input"] = csrf_input_lazy(request)
            full["csrf_token"] = csrf_token_lazy(request)
            for processor in self.backend.template_context_processors:
                result = processed.get(processor)
                if result is None:
                    if iscoroutinefunction(processor):
                        raise RenderInEventLoopError(
                            f"context processor {processor.__qualname__} is async and template "
                            f"{self.template.name!r} was rendered synchronously on the event "
                            "loop's thread; use `await arender_to_string(...)` there"
                        )
                    result = processor(request)
                full.update(result)
        return full

    async def _render(self, full: dict[str, Any]) -> str:
        try:
            rendered = await self.template.render_async(full)
        except jinja2.TemplateSyntaxError as exc:
            raise _syntax_error(exc) from exc
        return rendered.replace(FLUSH_MARKER, "")

    async def _prepare(
        self, context: Mapping[str, Any] | None, request: HttpRequest | None
    ) -> dict[str, Any]:
        processors = self.backend.template_context_processors if request is not None else []
        resolved, processed = await _aresolve_with_processors(
            context, request, processors, self.template.name or "<string>"
        )
        return self._context(resolved, request, processed)

    async def arender(
        self, context: Mapping[str, Any] | None = None, request: HttpRequest | None = None
    ) -> str:
        """Resolve ``context`` (as ``arender_to_string`` does) and render with ``render_async``."""
        return await self._render(await self._prepare(context, request))

    async def agenerate(
        self, context: Mapping[str, Any] | None = None, request: HttpRequest | None = None
    ) -> AsyncGenerator[str]:
        """The rendered pieces as Jinja2 produces them, :data:`FLUSH_MARKER` included.

        ``context`` is used as given (not resolved): the streaming code resolves it.
        """
        processors = self.backend.template_context_processors if request is not None else []
        _, processed = await _aresolve_with_processors(
            None, request, processors, self.template.name or "<string>"
        )
        full = self._context(context, request, processed)
        try:
            # Closed explicitly, so that closing this generator closes Jinja2's at once.
            async with aclosing(self.template.generate_async(full)) as pieces:
                async for piece in pieces:
                    yield piece
        except jinja2.TemplateSyntaxError as exc:
            raise _syntax_error(exc) from exc

    def render(
        self, context: Mapping[str, Any] | None = None, request: HttpRequest | None = None
    ) -> str:
        """Render from sync code, without ``asyncio.run`` (see the module docs)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            # No loop on this thread: a thread of sync_to_async (the server's loop runs the
            # coroutine) or a plain sync process (asgiref gives it a private loop).
            return async_to_sync(self.arender)(context, request)
        # On the loop's thread: Django's semantics (no context resolution, sync processors).
        full = self._context(context, request, {})
        return _run_without_waiting(self._render(full), self.template.name)
