"""Render templates from async code: :func:`arender_to_string` and :func:`arender`.

::

    from django_asyncx.templates import arender

    async def shelf(request):
        return await arender(request, "shelf.html", {
            "books": Book.objects.select_related("author")[:100],  # evaluated in the bridge
            "tags": Tag.objects.order_by("name"),                   # at the same time
            "forecast": weather.forecast(),                         # awaited, at the same time
        })

The context is resolved first, every value at once (with
:func:`~django_asyncx.db.aresolve`): a ``QuerySet`` becomes its list, a
:class:`~django_asyncx.db.Related` loads relations on instances, an awaitable is
awaited, an async generator is collected into a list; other values are kept. Async context
processors run at the same time. A Django template is then rendered in one
:func:`~django_asyncx.db.run_in_db` call, so whatever the template still loads lazily (a
foreign key, ``request.user``) works; the native Jinja2 backend
(:mod:`django_asyncx.templates.backends.jinja2`) renders on the event loop with no thread.

The output is the same as Django's ``render_to_string`` / ``render`` for the same template and
(resolved) context.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest, HttpResponse
from django.template import TemplateDoesNotExist, loader
from django.template.backends.django import Template as DjangoTemplate
from django.template.backends.django import reraise
from django.template.context import Context, RequestContext

from django_asyncx.concurrency import discard, gather
from django_asyncx.db import aresolve
from django_asyncx.db.bridge import run_in_db

__all__ = [
    "arender",
    "arender_template",
    "arender_to_string",
    "aresolve_context",
]

ContextProcessor = Callable[[HttpRequest], Any]


def _discard(context: Mapping[str, Any] | None) -> None:
    """Discard the values of a context that will never be resolved (see ``discard``).

    Used when rendering fails before resolution starts (a missing template), so that the
    caller's coroutines are not left "never awaited".
    """
    if context is not None:
        discard(context.values())


def _note_failure(exc: BaseException, template_name: str | None) -> None:
    """Say in ``exc`` which template it was raised for (``aresolve`` names the key)."""
    exc.add_note(f"in the context of template {template_name or '<unknown>'!r}")


async def _resolve_one(key: str, value: object, template_name: str | None) -> Any:
    """Resolve one value (streaming resolves each key in a task of its own)."""
    try:
        return (await aresolve({key: value}))[key]
    except Exception as exc:
        _note_failure(exc, template_name)
        raise


async def aresolve_context(
    context: Mapping[str, Any] | None, /, *, template_name: str | None = None
) -> dict[str, Any]:
    """Resolve every value of ``context`` concurrently (see the module docs); return a new dict.

    If a value fails, the others are cancelled and its exception is raised unchanged (same
    type, same message) with notes naming the context key and ``template_name``.
    """
    if context is None:
        return {}
    if not isinstance(context, Mapping):
        raise TypeError(
            f"the context of {template_name or 'a template'!r} must be a dict, "
            f"got {type(context).__name__}"
        )
    try:
        return await aresolve(context)
    except Exception as exc:
        _note_failure(exc, template_name)
        raise


async def _run_async_processors(
    processors: Sequence[ContextProcessor], request: HttpRequest | None, template_name: str
) -> dict[ContextProcessor, dict[str, Any]]:
    """Await the async context processors (each result resolved like a context)."""
    if request is None:
        return {}
    chosen = [processor for processor in processors if iscoroutinefunction(processor)]

    async def one(processor: ContextProcessor) -> dict[str, Any]:
        result = await processor(request)
        if not isinstance(result, Mapping):
            raise TypeError(
                f"Context processor {processor.__qualname__} didn't return a dictionary."
            )
        return await aresolve_context(result, template_name=template_name)

    return dict(zip(chosen, await gather(*map(one, chosen)), strict=True))


async def _aresolve_with_processors(
    context: Mapping[str, Any] | None,
    request: HttpRequest | None,
    processors: Sequence[ContextProcessor],
    template_name: str,
) -> tuple[dict[str, Any], dict[ContextProcessor, dict[str, Any]]]:
    """Resolve ``context`` and run the async ``processors``, all at once."""
    # Two results of different types: Any, rather than the object gather() would infer.
    both: list[Any] = await gather(
        aresolve_context(context, template_name=template_name),
        _run_async_processors(processors, request, template_name),
    )
    return both[0], both[1]


class _ProcessedRequestContext(RequestContext):
    """A ``RequestContext`` whose async context processors already ran on the event loop."""

    def __init__(
        self,
        request: HttpRequest,
        *,
        processed: Mapping[ContextProcessor, dict[str, Any]],
        autoescape: bool,
    ) -> None:
        super().__init__(request, autoescape=autoescape)
        self._processed = processed

    @contextmanager
    def bind_template(self, template: Any) -> Iterator[None]:
        # Django's RequestContext.bind_template, except that an async processor's result is
        # the one computed before rendering (calling it here would give a coroutine).
        if self.template is not None:
            raise RuntimeError("Context is already bound to a template")
        self.template = template
        # Private attributes of RequestContext that django-stubs does not declare.
        processors = template.engine.template_context_processors + self._processors  # type: ignore[attr-defined]
        updates: dict[str, Any] = {}
        for processor in processors:
            result = self._processed.get(processor)
            if result is None:
                result = processor(self.request)
            try:
                updates.update(result)
            except TypeError as exc:
                raise TypeError(
                    f"Context processor {processor.__qualname__} didn't return a dictionary."
                ) from exc
        self.dicts[self._processors_index] = updates  # type: ignore[attr-defined]
        try:
            yield
        finally:
            self.template = None
            self.dicts[self._processors_index] = {}  # type: ignore[attr-defined]


def _make_django_context(
    template: DjangoTemplate,
    context: dict[str, Any],
    request: HttpRequest | None,
    processed: Mapping[ContextProcessor, dict[str, Any]],
) -> Context:
    """The ``Context`` Django's backend would make, with the async processors' results."""
    autoescape = template.backend.engine.autoescape
    if request is None or not processed:
        from django.template.context import make_context

        return make_context(context, request, autoescape=autoescape)
    made = _ProcessedRequestContext(request, processed=processed, autoescape=autoescape)
    if context:
        made.push(context)
    return made


def _render_django(template: DjangoTemplate, context: Context) -> str:
    """Render as Django's backend does, given the context it would make."""
    try:
        return template.template.render(context)
    except TemplateDoesNotExist as exc:
        reraise(exc, template.backend)


def _template_label(template: Any) -> str:
    """The name to show for a backend template in messages."""
    origin = getattr(template, "origin", None)
    name = getattr(origin, "template_name", None) or getattr(origin, "name", None)
    return str(name) if name is not None else repr(template)


async def arender_template(
    template: Any, context: Mapping[str, Any] | None = None, request: HttpRequest | None = None
) -> str:
    """Render a backend template (what ``get_template()`` returns) from async code.

    The context is resolved as described in the module docs. A Django template renders in one
    :func:`~django_asyncx.db.run_in_db` call; a template with an ``arender`` coroutine method
    (the native Jinja2 backend's) renders natively; any other backend's template renders in
    one :func:`~django_asyncx.db.run_in_db` call after the context is resolved.
    """
    name = _template_label(template)
    if isinstance(template, DjangoTemplate):
        processors = template.backend.engine.template_context_processors
        resolved, processed = await _aresolve_with_processors(context, request, processors, name)
        made = _make_django_context(template, resolved, request, processed)
        return await run_in_db(_render_django, template, made)
    native = getattr(template, "arender", None)
    if native is not None and iscoroutinefunction(native):
        result: str = await native(context, request)
        return result
    resolved = await aresolve_context(context, template_name=name)
    rendered: str = await run_in_db(template.render, resolved, request)
    return rendered


def _get_template(template_name: str | Sequence[str], using: str | None = None) -> Any:
    """``get_template`` for a name, ``select_template`` for a list or tuple of names."""
    if isinstance(template_name, str):
        return loader.get_template(template_name, using=using)
    return loader.select_template(list(template_name), using=using)


async def arender_to_string(
    template_name: str | Sequence[str],
    context: Mapping[str, Any] | None = None,
    request: HttpRequest | None = None,
    using: str | None = None,
) -> str:
    """Async ``render_to_string``: load ``template_name``, resolve ``context``, render it.

    ``template_name`` is a name or a list of names (the first that exists is used), as in
    Django. Raises what Django raises: ``TemplateDoesNotExist`` naming the template(s),
    ``TemplateSyntaxError``; an exception from a context value keeps its type and message and
    gets a note naming the context key and the template.
    """
    try:
        template = _get_template(template_name, using)
    except BaseException:
        _discard(context if isinstance(context, Mapping) else None)
        raise
    return await arender_template(template, context, request)


async def arender(
    request: HttpRequest,
    template_name: str | Sequence[str],
    context: Mapping[str, Any] | None = None,
    content_type: str | None = None,
    status: int | None = None,
    using: str | None = None,
) -> HttpResponse:
    """Async ``django.shortcuts.render``: an ``HttpResponse`` of the rendered template."""
    content = await arender_to_string(template_name, context, request, using=using)
    return HttpResponse(content, content_type, status)
