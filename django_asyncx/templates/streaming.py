"""Stream a template: :func:`astream_template` sends the page head before slow parts are ready.

::

    from django_asyncx.templates import astream_template

    async def report(request):
        return astream_template(request, "report.html", {
            "title": "Sales",                       # ready: usable anywhere
            "rows": Sale.objects.order_by("-day"),  # resolved while the head is sent
            "forecast": upstream.forecast(),        # awaited while the head is sent
        })

``report.html`` marks chunk boundaries with ``{% flush %}`` (``{% load asyncx %}`` first in a
Django template; built in with the native Jinja2 backend)::

    {% load asyncx %}<html><head><title>{{ title }}</title>...</head>{% flush %}
    <body>{% for row in rows %}...{% endfor %} {{ forecast }}</body></html>

How it runs:

- the values that need resolving (querysets, ``Related``, awaitables, async generators) start
  resolving at once, concurrently, when the response starts;
- everything before the first ``{% flush %}`` is rendered and sent right away. It should use
  only the ready values (and the context processors' values);
- at the first ``{% flush %}`` every value is awaited; the rest is rendered, each later
  ``{% flush %}`` sending another chunk.

If the part before the first ``{% flush %}`` uses a value that is still being resolved (or
there is no ``{% flush %}`` and the template uses one), nothing has been sent yet: every value
is awaited and the template is rendered again from the start, and the logger
``django_asyncx.templates`` warns with the template name and the context key. The page is
right, only its head comes late.

In a Django template, ``{% flush %}`` counts at the top level of the template or of a
template it ``{% extends %}`` (put it between blocks of the base layout); a chunk is rendered
in one :func:`~django_asyncx.db.run_in_db` call. With the native Jinja2 backend it counts
anywhere, blocks of parent templates included. If the client disconnects, the server cancels
the response: rendering stops and the values still resolving are cancelled.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncGenerator, Generator, Iterator, Mapping, Sequence
from contextlib import aclosing, suppress
from functools import partial
from typing import Any, cast

from django.http import HttpRequest, StreamingHttpResponse
from django.template import TemplateDoesNotExist
from django.template.backends.django import Template as DjangoTemplate
from django.template.backends.django import reraise
from django.template.base import Node, NodeList, TextNode
from django.template.loader_tags import BLOCK_CONTEXT_KEY, BlockContext, BlockNode, ExtendsNode
from django.utils.functional import SimpleLazyObject

from django_asyncx.concurrency import gather
from django_asyncx.db.bridge import run_in_db
from django_asyncx.db.helpers import needs_resolving
from django_asyncx.templatetags.asyncx import FlushNode

from .render import (
    _discard,
    _get_template,
    _make_django_context,
    _resolve_one,
    _run_async_processors,
    _template_label,
    arender_template,
)

__all__ = ["astream_template"]

_FLUSH = object()

logger = logging.getLogger("django_asyncx.templates")


class _NotReady(Exception):
    """A context value still being resolved was used before the first flush."""

    def __init__(self, key: str, template_name: str) -> None:
        super().__init__(
            f"template {template_name!r} used context key {key!r} before the first "
            "{% flush %}, while it was still being resolved: the head waited for every value; "
            "use the key after the {% flush %} to send the head at once"
        )


def _restart(exc: _NotReady) -> None:
    logger.warning("%s", exc)


def astream_template(
    request: HttpRequest | None,
    template_name: str | Sequence[str],
    context: Mapping[str, Any] | None = None,
    *,
    content_type: str | None = None,
    status: int | None = None,
    using: str | None = None,
) -> StreamingHttpResponse:
    """A ``StreamingHttpResponse`` rendering ``template_name`` chunk by chunk (module docs).

    The template is loaded now, so a missing one raises ``TemplateDoesNotExist`` from the view,
    before the response starts. Return the response from an async view served over ASGI.
    """
    if context is not None and not isinstance(context, Mapping):
        raise TypeError(f"astream_template() context must be a dict, got {type(context).__name__}")
    values = dict(context or {})
    try:
        template = _get_template(template_name, using)
    except BaseException:
        _discard(values)
        raise
    stream = _TemplateStream(_stream(template, values, request), values)
    return StreamingHttpResponse(stream, content_type=content_type, status=status)


class _TemplateStream:
    """The response's async iterator; Django calls :meth:`close` when the response ends."""

    def __init__(self, chunks: AsyncGenerator[str], values: Mapping[str, Any]) -> None:
        self._chunks = chunks
        self._values = values

    def __aiter__(self) -> AsyncGenerator[str]:
        return self._chunks

    def close(self) -> None:
        # A response that was never sent (replaced by a middleware, an error before the body)
        # never started resolving its context: close what the view created for it.
        if inspect.getasyncgenstate(self._chunks) == inspect.AGEN_CREATED:
            _discard(self._values)


def _waiting(key: str, task: asyncio.Future[Any], template_name: str) -> Any:
    def value() -> Any:
        if not task.done():
            raise _NotReady(key, template_name)
        return task.result()

    return SimpleLazyObject(value)


async def _stream(
    template: Any, context: dict[str, Any], request: HttpRequest | None
) -> AsyncGenerator[str]:
    name = _template_label(template)
    tasks = {
        key: asyncio.ensure_future(_resolve_one(key, value, name))
        for key, value in context.items()
        if needs_resolving(value)
    }
    waiting = {key: _waiting(key, task, name) for key, task in tasks.items()}

    async def resolved() -> dict[str, Any]:
        values = await gather(*tasks.values())
        return dict(zip(tasks, values, strict=True))

    try:
        if isinstance(template, DjangoTemplate):
            chunks = _stream_django(template, {**context, **waiting}, request, resolved)
        elif hasattr(template, "agenerate"):
            chunks = _stream_native(template, {**context, **waiting}, request, resolved)
        else:
            chunks = _stream_other(template, context, request, resolved)
        # Every generator below is closed explicitly: one left to the garbage collector would
        # be closed later by a task of its own, outliving the response.
        async with aclosing(chunks):
            async for chunk in chunks:
                yield chunk
    finally:
        for task in tasks.values():
            task.cancel()
        await asyncio.gather(*tasks.values(), return_exceptions=True)


async def _stream_other(
    template: Any, context: dict[str, Any], request: HttpRequest | None, resolved: Any
) -> AsyncGenerator[str]:
    yield await arender_template(template, {**context, **await resolved()}, request)


async def _stream_native(
    template: Any, context: dict[str, Any], request: HttpRequest | None, resolved: Any
) -> AsyncGenerator[str]:
    try:
        async with aclosing(_native_chunks(template, context, request, resolved)) as chunks:
            async for chunk in chunks:
                yield chunk
    except _NotReady as exc:
        _restart(exc)
        full = {**context, **await resolved()}
        async with aclosing(_native_chunks(template, full, request, resolved)) as chunks:
            async for chunk in chunks:
                yield chunk


async def _native_chunks(
    template: Any, context: dict[str, Any], request: HttpRequest | None, resolved: Any
) -> AsyncGenerator[str]:
    from django_asyncx.templates.backends.jinja2 import FLUSH_MARKER

    buffer: list[str] = []
    waited = False
    async with aclosing(template.agenerate(context, request)) as pieces:
        async for piece in pieces:
            if FLUSH_MARKER not in piece:
                buffer.append(piece)
                continue
            *before, after = piece.split(FLUSH_MARKER)
            buffer.extend(before)
            if chunk := "".join(buffer):
                yield chunk
            buffer = [after]
            if not waited:
                # The generator is paused right after the marker: nothing after it has been
                # evaluated yet, so the values it uses are resolved by the time it resumes.
                await resolved()
                waited = True
    if chunk := "".join(buffer):
        yield chunk


def _nodes(nodelist: NodeList, context: Any) -> Iterator[Node]:
    """The top-level nodes to render in order, following ``{% extends %}`` into the parent."""
    for node in nodelist:
        if not isinstance(node, ExtendsNode):
            yield node
            continue
        # Django's ExtendsNode.render, except that the parent's nodes are handed out one by
        # one instead of being rendered in one go.
        parent = node.get_parent(context)
        if BLOCK_CONTEXT_KEY not in context.render_context:
            context.render_context[BLOCK_CONTEXT_KEY] = BlockContext()
        block_context = context.render_context[BLOCK_CONTEXT_KEY]
        block_context.add_blocks(node.blocks)
        for parent_node in parent.nodelist:
            if not isinstance(parent_node, TextNode):
                if not isinstance(parent_node, ExtendsNode):
                    found = parent.nodelist.get_nodes_by_type(BlockNode)
                    blocks = {cast(BlockNode, n).name: n for n in found}
                    block_context.add_blocks(blocks)
                break
        with context.render_context.push_state(parent, isolated_context=False):
            yield from _nodes(parent.nodelist, context)


def _render_pieces(template: DjangoTemplate, context: Any) -> Generator[object]:
    """Render ``template`` node by node; yield each node's text, or ``_FLUSH`` at a flush."""
    compiled = template.template
    try:
        with context.render_context.push_state(compiled), context.bind_template(compiled):
            context.template_name = compiled.name
            for node in _nodes(compiled.nodelist, context):
                yield _FLUSH if isinstance(node, FlushNode) else node.render_annotated(context)
    except TemplateDoesNotExist as exc:
        reraise(exc, template.backend)


def _next_chunk(pieces: Iterator[object]) -> tuple[str, bool]:
    """Render up to the next flush (in the bridge); the text and whether the end was reached."""
    parts: list[str] = []
    for piece in pieces:
        if piece is _FLUSH:
            return "".join(parts), False
        parts.append(str(piece))
    return "".join(parts), True


async def _stream_django(
    template: DjangoTemplate, context: dict[str, Any], request: HttpRequest | None, resolved: Any
) -> AsyncGenerator[str]:
    name = _template_label(template)
    processors = template.backend.engine.template_context_processors
    processed = await _run_async_processors(processors, request, name)
    made = _make_django_context(template, context, request, processed)
    pieces = _render_pieces(template, made)
    try:
        try:
            chunk, finished = await run_in_db(partial(_next_chunk, pieces))
        except _NotReady as exc:
            # Nothing was sent: render again from the start with every value resolved.
            _restart(exc)
            pieces.close()
            full = {**context, **await resolved()}
            made = _make_django_context(template, full, request, processed)
            pieces = _render_pieces(template, made)
            chunk, finished = await run_in_db(partial(_next_chunk, pieces))
        if chunk:
            yield chunk
        if not finished:
            made.dicts[-1].update(await resolved())
        while not finished:
            chunk, finished = await run_in_db(partial(_next_chunk, pieces))
            if chunk:
                yield chunk
    finally:
        _close(pieces)


def _close(pieces: Generator[object]) -> None:
    # ValueError: cancelled while a bridge thread renders a chunk ("generator already
    # executing"); that thread finishes the chunk and drops it, and the generator is closed
    # when it is garbage collected.
    with suppress(ValueError):
        pieces.close()
