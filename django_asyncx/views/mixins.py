"""Async access mixins for class-based views: login, permissions, user tests.

Put them first in the bases of an :class:`~django_asyncx.views.generic.AsyncView` subclass,
as with Django's mixins. They load the user with ``await request.auser()`` and then set
``request.user`` to it, so later sync code reads it without a query; permission checks go
through :func:`django_asyncx.db.run_in_db`. Attribute names (``login_url``,
``permission_required``, ``raise_exception``, ``redirect_field_name``,
``permission_denied_message``) and hooks are Django's.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import mixins
from django.http import HttpRequest, HttpResponseBase

from django_asyncx.db import run_in_db

from .generic import resolve

__all__ = ["AsyncLoginRequiredMixin", "AsyncPermissionRequiredMixin", "AsyncUserPassesTestMixin"]


async def _load_user(request: Any) -> Any:
    user = await request.auser()
    request.user = user
    return user


class _AsyncAccessMixin(mixins.AccessMixin):
    async def _deny(self) -> HttpResponseBase:
        # AccessMixin.handle_no_permission reads request.user, loaded by now.
        return await resolve(self.handle_no_permission())  # type: ignore[no-any-return]


class AsyncLoginRequiredMixin(_AsyncAccessMixin):
    """Redirect anonymous users to the login page (or 403 with ``raise_exception``)."""

    async def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        """Check the user is authenticated, then dispatch."""
        user = await _load_user(request)
        if not user.is_authenticated:
            return await self._deny()
        return await super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class AsyncPermissionRequiredMixin(_AsyncAccessMixin):
    """Require ``permission_required`` (one name or several); ``has_permission`` may be
    overridden sync or async."""

    permission_required: Any = None

    def get_permission_required(self) -> Any:
        """The permissions to check, as Django's mixin returns them."""
        return mixins.PermissionRequiredMixin.get_permission_required(self)  # type: ignore[arg-type]

    async def has_permission(self) -> bool:
        """Whether the user has every permission: checked through the DB bridge."""
        user = await _load_user(self.request)  # type: ignore[attr-defined]
        return await run_in_db(user.has_perms, self.get_permission_required())

    async def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        """Check the permissions, then dispatch."""
        await _load_user(request)
        if not await resolve(self.has_permission()):
            return await self._deny()
        return await super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class AsyncUserPassesTestMixin(_AsyncAccessMixin):
    """Require ``test_func()`` (sync or async) to return True."""

    def test_func(self) -> Any:
        """Override with the check (``async def`` allowed); it must return a bool."""
        raise NotImplementedError(
            f"{self.__class__.__name__} is missing the implementation of the test_func() method."
        )

    def get_test_func(self) -> Any:
        """The function to call: ``test_func`` unless overridden."""
        return self.test_func

    async def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        """Run the test, then dispatch."""
        await _load_user(request)
        if not await resolve(self.get_test_func()()):
            return await self._deny()
        return await super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
