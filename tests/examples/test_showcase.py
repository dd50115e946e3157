"""The example project's showcase views answer through the async stack with no thread hop."""

import pytest
from django.contrib.auth.models import User
from django.test import override_settings

from django_asyncx.asgi import ASGIHandler
from django_asyncx.hops import arequest, count_hops
from django_asyncx.middleware import async_native

pytestmark = pytest.mark.django_db(transaction=True)

MIDDLEWARE = async_native(
    [
        "django.middleware.security.SecurityMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
    ]
)
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@override_settings(ROOT_URLCONF="showcase.urls", MIDDLEWARE=MIDDLEWARE, CACHES=CACHES)
async def test_showcase_views():
    await User.objects.acreate(username="ada")
    app = ASGIHandler()
    assert (await arequest(app, "GET", "/slow/?seconds=0")).status == 200
    assert (await arequest(app, "GET", "/slow/?seconds=5")).status == 504
    assert (await arequest(app, "GET", "/export/")).body == b"exported\n"
    assert (await arequest(app, "GET", "/stats/")).body == b'{"users": 1}'
    first = await arequest(app, "GET", "/user-count/")
    again = await arequest(
        app, "GET", "/user-count/", headers={"if-none-match": first.header("etag")}
    )
    assert again.status == 304
    assert (await arequest(app, "GET", "/legacy/")).body == b"1 users (sync ORM)\n"
    users = await arequest(app, "GET", "/users/")
    assert users.body == b'{"page": 1, "pages": 1, "users": ["ada"]}'
    with count_hops() as hops:
        await arequest(app, "GET", "/stats/")  # a cache hit
    assert hops.count == 0


@override_settings(ROOT_URLCONF="showcase.urls", MIDDLEWARE=MIDDLEWARE, CACHES=CACHES)
@pytest.mark.parametrize("seconds", ["abc", "nan", "-1", "inf", ""])
async def test_slow_rejects_a_duration_that_is_not_a_number_of_seconds(seconds):
    response = await arequest(ASGIHandler(), "GET", f"/slow/?seconds={seconds}")
    assert response.status == 400
    assert f"seconds={seconds!r} is not accepted" in response.body.decode()
    assert "from 0 to 60" in response.body.decode()
