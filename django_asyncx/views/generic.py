"""Async generic class-based views with the hooks and attribute names of Django's.

Migration is mechanical: ``ListView`` becomes :class:`AsyncListView`, and so on. Every hook
keeps its name and may be overridden with a sync or an ``async def`` method (the view awaits
what a hook returns when it is awaitable). Database work the views do themselves (fetching
the object, counting and slicing pages, evaluating the list, validating and saving model
forms, deleting) runs through :func:`django_asyncx.db.run_in_db`, so the loop never blocks
and nothing raises ``SynchronousOnlyOperation``. Pagination runs Django's ``Paginator`` in
one bridge call (count and page together), the same work ``AsyncPaginator`` does in two.

Responses are Django's ``TemplateResponse``: :mod:`django_asyncx.asgi` renders them on the
DB bridge's pool (Django's handler, in a thread), so lazy relations in the template load.
"""

from __future__ import annotations

import inspect
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.forms import Form
from django.forms.models import BaseModelForm
from django.http import Http404, HttpRequest, HttpResponseBase, HttpResponseRedirect
from django.utils.translation import gettext as _
from django.views import generic
from django.views.generic.base import ContextMixin, TemplateResponseMixin, View
from django.views.generic.detail import SingleObjectMixin, SingleObjectTemplateResponseMixin
from django.views.generic.edit import DeletionMixin, FormMixin, ModelFormMixin
from django.views.generic.list import MultipleObjectMixin, MultipleObjectTemplateResponseMixin

from django_asyncx.db import run_in_db

__all__ = [
    "AsyncCreateView",
    "AsyncDeleteView",
    "AsyncDetailView",
    "AsyncFormView",
    "AsyncListView",
    "AsyncRedirectView",
    "AsyncTemplateView",
    "AsyncUpdateView",
    "AsyncView",
    "resolve",
]


async def resolve(value: Any) -> Any:
    """``await value`` if it is awaitable, else ``value``: hooks may be sync or async."""
    return await value if inspect.isawaitable(value) else value


class AsyncView(View):
    """Django's ``View`` with an async ``dispatch``; every HTTP handler must be async.

    A sync handler (``def get``) is a ``TypeError`` when the class is defined, not a
    surprise at request time.
    """

    view_is_async = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for method in cls.http_method_names:
            handler = getattr(cls, method, None)
            if method != "options" and handler is not None and not _is_async(handler):
                raise TypeError(
                    f"{cls.__qualname__}.{method}() must be 'async def' in an async view "
                    f"({cls.__qualname__} derives from AsyncView)"
                )

    async def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:  # type: ignore[override]
        """Call the handler for the request's method and await it."""
        method = (request.method or "").lower()
        if method in self.http_method_names:
            handler = getattr(self, method, self.http_method_not_allowed)
        else:
            handler = self.http_method_not_allowed
        return await resolve(handler(request, *args, **kwargs))  # type: ignore[no-any-return]


def _is_async(handler: Any) -> bool:
    return inspect.iscoroutinefunction(handler) or getattr(handler, "_asyncx_async", False)


class AsyncTemplateView(TemplateResponseMixin, ContextMixin, AsyncView):
    """``TemplateView``: render ``template_name`` with ``get_context_data()``."""

    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        """Render the template with the (possibly async) context."""
        context = await resolve(self.get_context_data(**kwargs))
        return self.render_to_response(context)


class AsyncRedirectView(generic.RedirectView, AsyncView):
    """``RedirectView``; ``get_redirect_url`` may be async (to look the target up)."""

    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:  # type: ignore[override]
        """Redirect to ``get_redirect_url()``, or answer 410 Gone when it is None."""
        url = await resolve(self.get_redirect_url(*args, **kwargs))
        # Django's get() builds the response (permanent, preserve_request, 410 and its
        # log line); give it the URL already resolved.
        self.get_redirect_url = lambda *a, **k: url  # type: ignore[method-assign]
        return generic.RedirectView.get(self, request, *args, **kwargs)

    async def head(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:  # type: ignore[override]
        """As GET."""
        return await self.get(request, *args, **kwargs)

    post = put = patch = delete = options = head  # type: ignore[assignment]


class _AsyncSingleObjectMixin(SingleObjectMixin):  # type: ignore[type-arg]
    kwargs: dict[str, Any]

    async def get_object(self, queryset: Any = None) -> Any:
        """Django's ``get_object``, the query through the DB bridge (404 when missing)."""
        if queryset is None:
            queryset = await resolve(self.get_queryset())
        pk = self.kwargs.get(self.pk_url_kwarg)
        slug = self.kwargs.get(self.slug_url_kwarg)
        if pk is not None:
            queryset = queryset.filter(pk=pk)
        if slug is not None and (pk is None or self.query_pk_and_slug):
            queryset = queryset.filter(**{self.get_slug_field(): slug})
        if pk is None and slug is None:
            raise AttributeError(
                f"Generic detail view {self.__class__.__name__} must be called with either an "
                "object pk or a slug in the URLconf."
            )
        try:
            return await run_in_db(queryset.get)
        except queryset.model.DoesNotExist:
            raise Http404(
                _("No %(verbose_name)s found matching the query")
                % {"verbose_name": queryset.model._meta.verbose_name}
            ) from None


class AsyncDetailView(SingleObjectTemplateResponseMixin, _AsyncSingleObjectMixin, AsyncView):
    """``DetailView``: ``self.object`` from ``get_object()`` (async), then render."""

    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        """Fetch the object (404 when missing) and render it."""
        self.object = await resolve(self.get_object())
        context = await resolve(self.get_context_data(object=self.object))
        return self.render_to_response(context)


def _evaluate(queryset: Any) -> Any:
    if hasattr(queryset, "_fetch_all"):
        queryset._fetch_all()
    return queryset


def _paginate(view: MultipleObjectMixin, queryset: Any, page_size: int) -> Any:  # type: ignore[type-arg]
    paginator, page, _, is_paginated = view.paginate_queryset(queryset, page_size)
    page.object_list = _evaluate(page.object_list)
    return paginator, page, page.object_list, is_paginated


class AsyncListView(MultipleObjectTemplateResponseMixin, MultipleObjectMixin, AsyncView):  # type: ignore[type-arg]
    """``ListView``: ``self.object_list`` from ``get_queryset()``, paginated, then rendered.

    The list (or the page) is evaluated through the DB bridge before rendering, so the
    template iterates rows already fetched.
    """

    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        """Build the list, answer 404 if empty and ``allow_empty`` is False, render."""
        self.object_list = await resolve(self.get_queryset())
        if not self.get_allow_empty():
            if self.get_paginate_by(self.object_list) is not None and hasattr(
                self.object_list, "exists"
            ):
                is_empty = not await run_in_db(self.object_list.exists)
            else:
                is_empty = not await run_in_db(_evaluate, self.object_list)
            if is_empty:
                raise Http404(
                    _("Empty list and “%(class_name)s.allow_empty” is False.")
                    % {"class_name": self.__class__.__name__}
                )
        context = await resolve(self.get_context_data())
        return self.render_to_response(context)

    async def get_context_data(self, *, object_list: Any = None, **kwargs: Any) -> Any:  # type: ignore[override]
        """Django's context: ``paginator``, ``page_obj``, ``is_paginated``, ``object_list``."""
        queryset = object_list if object_list is not None else self.object_list
        page_size = self.get_paginate_by(queryset)
        context_object_name = self.get_context_object_name(queryset)
        if page_size:
            paginator, page, queryset, is_paginated = await run_in_db(
                _paginate, self, queryset, page_size
            )
            context = {
                "paginator": paginator,
                "page_obj": page,
                "is_paginated": is_paginated,
                "object_list": queryset,
            }
        else:
            queryset = await run_in_db(_evaluate, queryset)
            context = {
                "paginator": None,
                "page_obj": None,
                "is_paginated": False,
                "object_list": queryset,
            }
        if context_object_name is not None:
            context[context_object_name] = queryset
        context.update(kwargs)
        return ContextMixin.get_context_data(self, **context)


class _AsyncProcessForm:
    """``ProcessFormView`` with async handlers; model forms validate through the bridge."""

    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        """Render the empty form."""
        view: Any = self
        return view.render_to_response(await resolve(view.get_context_data()))  # type: ignore[no-any-return]

    async def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        """Validate the bound form; ``form_valid`` or ``form_invalid``."""
        view: Any = self
        form = await resolve(view.get_form())
        # Model forms check unique constraints against the database.
        if isinstance(form, BaseModelForm):
            valid = await run_in_db(form.is_valid)
        else:
            valid = form.is_valid()
        if valid:
            return await resolve(view.form_valid(form))  # type: ignore[no-any-return]
        return await resolve(view.form_invalid(form))  # type: ignore[no-any-return]

    async def put(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        """As POST."""
        return await self.post(request, *args, **kwargs)


class AsyncFormView(TemplateResponseMixin, _AsyncProcessForm, FormMixin, AsyncView):  # type: ignore[type-arg]
    """``FormView``: GET renders the form, POST validates it."""


class _AsyncModelFormMixin(ModelFormMixin, _AsyncSingleObjectMixin):  # type: ignore[type-arg]
    async def form_valid(self, form: Any) -> HttpResponseBase:  # type: ignore[override]
        """Save the form through the DB bridge and redirect to ``get_success_url()``."""
        self.object = await run_in_db(form.save)
        return HttpResponseRedirect(self.get_success_url())


class AsyncCreateView(
    SingleObjectTemplateResponseMixin, _AsyncProcessForm, _AsyncModelFormMixin, AsyncView
):
    """``CreateView``: a model form for a new object; saved through the bridge."""

    template_name_suffix = "_form"

    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        """Render the empty form."""
        self.object = None
        return await super().get(request, *args, **kwargs)

    async def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        """Validate and save a new object."""
        self.object = None
        return await super().post(request, *args, **kwargs)


class AsyncUpdateView(
    SingleObjectTemplateResponseMixin, _AsyncProcessForm, _AsyncModelFormMixin, AsyncView
):
    """``UpdateView``: a model form for ``get_object()``; saved through the bridge."""

    template_name_suffix = "_form"

    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        """Render the form for the object (404 when missing)."""
        self.object = await resolve(self.get_object())
        return await super().get(request, *args, **kwargs)

    async def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        """Validate and save the object."""
        self.object = await resolve(self.get_object())
        return await super().post(request, *args, **kwargs)


class AsyncDeleteView(
    SingleObjectTemplateResponseMixin,
    DeletionMixin,  # type: ignore[type-arg]
    FormMixin,  # type: ignore[type-arg]
    _AsyncSingleObjectMixin,
    AsyncView,
):
    """``DeleteView``: GET confirms, POST deletes through the bridge and redirects."""

    template_name_suffix = "_confirm_delete"
    form_class = Form

    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        """Render the confirmation page for the object."""
        self.object = await resolve(self.get_object())
        context = await resolve(self.get_context_data(object=self.object))
        return self.render_to_response(context)

    async def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:  # type: ignore[override]
        """Validate the (empty) form, then ``form_valid`` deletes the object."""
        self.object = await resolve(self.get_object())
        form = await resolve(self.get_form())
        if form.is_valid():
            return await resolve(self.form_valid(form))  # type: ignore[no-any-return]
        return await resolve(self.form_invalid(form))  # type: ignore[no-any-return]

    async def delete(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:  # type: ignore[override]
        """Delete the object and redirect, as Django's ``DeletionMixin.delete``."""
        self.object = await resolve(self.get_object())
        success_url = self.get_success_url()
        await run_in_db(self.object.delete)
        return HttpResponseRedirect(success_url)

    async def form_valid(self, form: Any) -> HttpResponseBase:  # type: ignore[override]
        """Delete the object through the bridge and redirect to ``get_success_url()``."""
        success_url = self.get_success_url()
        await run_in_db(self.object.delete)
        return HttpResponseRedirect(success_url)

    def get_success_url(self) -> str:
        """``success_url`` formatted with the object's fields, as Django's."""
        if self.success_url:
            return self.success_url.format(**self.object.__dict__)
        raise ImproperlyConfigured("No URL to redirect to. Provide a success_url.")
