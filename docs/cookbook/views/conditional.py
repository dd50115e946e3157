"""Recipe: answer 304 with ``@etag``/``@last_modified``, computed async or with the ORM."""

from django.contrib.auth.models import User
from django.db.models import Max
from django.http import HttpResponse
from django.test import override_settings
from django.urls import path

from django_asyncx.asgi import ASGIHandler
from django_asyncx.testing.client import arequest
from django_asyncx.views import condition, etag, last_modified


async def users_etag(request):
    # An async function: awaited on the loop.
    count = await User.objects.acount()
    return f"users-{count}"


def newest_login(request):
    # A sync function using the ORM: run through the DB bridge, never on the loop.
    return User.objects.aggregate(newest=Max("date_joined"))["newest"]


@etag(users_etag)
async def user_count(request):
    return HttpResponse(f"{await User.objects.acount()} users")


@last_modified(newest_login)
async def newest(request):
    return HttpResponse("newest user")


@condition(etag_func=users_etag, last_modified_func=newest_login)
async def both(request):
    return HttpResponse("both")


urlpatterns = [path("count/", user_count), path("newest/", newest), path("both/", both)]


async def demo():
    """Run the recipe: a repeat request with the ETag gets 304."""
    import sys

    await User.objects.acreate(username="cookbook-conditional")
    with override_settings(ROOT_URLCONF=sys.modules[__name__], MIDDLEWARE=[]):
        app = ASGIHandler()
        first = await arequest(app, "GET", "/count/")
        again = await arequest(
            app, "GET", "/count/", headers={"if-none-match": first.header("etag")}
        )
        modified = await arequest(app, "GET", "/newest/")
        both_ = await arequest(app, "GET", "/both/")
    assert (first.status, again.status) == (200, 304)
    assert modified.header("last-modified")
    assert both_.header("etag")
    assert both_.header("last-modified")
