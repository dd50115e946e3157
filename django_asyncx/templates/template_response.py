"""``AsyncTemplateResponse``: a ``TemplateResponse`` rendered by ``await response.render()``.

::

    from django_asyncx.templates import AsyncTemplateResponse

    async def shelf(request):
        return AsyncTemplateResponse(request, "shelf.html", {"books": Book.objects.all()})

As with Django's ``TemplateResponse``, rendering is deferred: view decorators and middleware
(``process_template_response``) can still change ``template_name`` and ``context_data``.
Django's async request handler sees that ``render`` is a coroutine function and awaits it;
rendering then goes through :func:`~django_asyncx.templates.arender_template` (context
resolved concurrently, lazy database access working). In a class-based view, set
``response_class = AsyncTemplateResponse`` on a ``TemplateResponseMixin`` view.

The response needs the async handler (ASGI), which awaits it whether the view is async or
sync. Django's sync handler (WSGI) would get a coroutine from ``render()``: use Django's
``TemplateResponse`` there.
"""

from __future__ import annotations

import inspect
from typing import Any

from django.template.response import TemplateResponse

from .render import _discard, arender_template

__all__ = ["AsyncTemplateResponse"]


class AsyncTemplateResponse(TemplateResponse):
    """A ``TemplateResponse`` whose :meth:`render` is a coroutine.

    Same constructor as ``TemplateResponse``: ``(request, template, context=None,
    content_type=None, status=None, charset=None, using=None, headers=None)``. Post-render
    callbacks may be sync or async.
    """

    async def arendered_content(self) -> str:
        """Resolve the template and the context and render them; the text, not stored."""
        try:
            template = self.resolve_template(self.template_name)
        except BaseException:
            _discard(self.context_data)
            raise
        context = self.resolve_context(self.context_data)
        return await arender_template(template, context, self._request)

    async def render(self) -> Any:  # type: ignore[override]
        """Render once, run the post-render callbacks; return the response to send.

        A callback may return a replacement response (as in Django); an async callback is
        awaited.
        """
        response: Any = self
        if not self._is_rendered:  # type: ignore[attr-defined]
            self.content = await self.arendered_content()
            for callback in self._post_render_callbacks:  # type: ignore[attr-defined]
                replacement = callback(response)
                if inspect.isawaitable(replacement):
                    replacement = await replacement
                if replacement is not None:
                    response = replacement
        return response
