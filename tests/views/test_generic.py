"""Async generic class-based views and access mixins, through the hop-free handler."""

import pytest
from django.contrib.auth.models import Permission, User
from django.test import override_settings
from django.views.generic import DetailView, ListView

from django_asyncx.asgi import ASGIHandler
from django_asyncx.hops import count_hops
from django_asyncx.middleware import async_native
from django_asyncx.views import AsyncView
from tests.middleware.test_middleware import Browser
from tests.support.testapp.models import Author
from tests.support.views_app import cbv

pytestmark = pytest.mark.django_db(transaction=True)

MIDDLEWARE = async_native(
    [
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
    ]
)
URLS = override_settings(ROOT_URLCONF="tests.support.views_app.cbv_urls", MIDDLEWARE=MIDDLEWARE)


@pytest.fixture
def browser():
    with URLS:
        yield Browser(ASGIHandler())


@pytest.fixture
async def authors():
    return [await Author.objects.acreate(name=name) for name in "cabed"]


FORM = {"content-type": "application/x-www-form-urlencoded"}


async def test_template_view_with_an_async_context_hook(browser):
    result = await browser.send("GET", "/cbv/hello/?who=ada")
    assert result.body == b"hello ada from views_app/hello.html"


async def test_template_response_renders_in_one_hop_on_the_pool(browser):
    with count_hops() as hops:
        await browser.send("GET", "/cbv/hello/")
    # TemplateResponse.render() on the DB bridge's pool: one hop (Django: a thread made
    # for the request, and a second hop to close the request there).
    assert hops.count == 1, hops.hops


async def test_list_view_paginates_and_404s_past_the_last_page(browser, authors):
    first = await browser.send("GET", "/cbv/authors/")
    assert first.body == b"a;b;|page 1 of 3|"
    last = await browser.send("GET", "/cbv/authors/?page=last")
    assert last.body == b"e;|page 3 of 3|"
    assert (await browser.send("GET", "/cbv/authors/?page=9")).status == 404


async def test_list_view_evaluates_the_list_before_rendering(browser, authors):
    with count_hops() as hops:
        result = await browser.send("GET", "/cbv/authors/")
    assert result.status == 200
    # One bridge call for count + page, one to render: two hops in all.
    assert [hop.owner for hop in hops.hops] == ["django_asyncx.executors"] * 2


async def test_list_view_allow_empty_false_and_extra_context(browser):
    assert (await browser.send("GET", "/cbv/all-authors/")).status == 404
    await Author.objects.acreate(name="z")
    result = await browser.send("GET", "/cbv/all-authors/")
    assert result.body == b"z;|page - of -|all"


async def test_list_and_detail_render_what_djangos_views_render(browser, authors):
    class DjangoAuthors(ListView):
        model = Author
        template_name = "views_app/author_list.html"
        ordering = ["name"]
        paginate_by = 2

    class DjangoDetail(DetailView):
        model = Author
        template_name = "views_app/author_detail.html"

    from asgiref.sync import sync_to_async
    from django.test import AsyncRequestFactory

    rf = AsyncRequestFactory()
    for page in ("1", "2", "last"):
        theirs = await sync_to_async(DjangoAuthors.as_view())(rf.get(f"/?page={page}"))
        await sync_to_async(theirs.render)()
        ours = await browser.send("GET", f"/cbv/authors/?page={page}")
        assert ours.body == theirs.content
    theirs = await sync_to_async(DjangoDetail.as_view())(rf.get("/"), pk=authors[0].pk)
    await sync_to_async(theirs.render)()
    ours = await browser.send("GET", f"/cbv/author/{authors[0].pk}/")
    assert ours.body == theirs.content == b"author c (c)"


async def test_detail_view_404s_for_a_missing_object(browser):
    result = await browser.send("GET", "/cbv/author/999/")
    assert result.status == 404


async def test_create_update_and_delete(browser):
    bad = await browser.send("POST", "/cbv/author/new/", body=b"name=", headers=FORM)
    assert bad.status == 200
    assert b"This field is required" in bad.body
    created = await browser.send("POST", "/cbv/author/new/", body=b"name=ada", headers=FORM)
    assert (created.status, created.header("location")) == (302, "/cbv/authors/")
    author = await Author.objects.aget(name="ada")
    edit_form = await browser.send("GET", f"/cbv/author/{author.pk}/edit/")
    assert edit_form.body == b"form errors=none"
    updated = await browser.send(
        "POST", f"/cbv/author/{author.pk}/edit/", body=b"name=grace", headers=FORM
    )
    assert updated.header("location") == f"/cbv/author/{author.pk}/"
    assert (await Author.objects.aget(pk=author.pk)).name == "grace"
    confirm = await browser.send("GET", f"/cbv/author/{author.pk}/delete/")
    assert confirm.body == b"delete grace?"
    deleted = await browser.send("POST", f"/cbv/author/{author.pk}/delete/")
    assert deleted.header("location") == "/cbv/authors/"
    assert not await Author.objects.filter(pk=author.pk).aexists()
    assert (
        await browser.send("POST", "/cbv/author/999/edit/", body=b"name=x", headers=FORM)
    ).status == 404


async def test_form_view_validates_and_redirects(browser):
    bad = await browser.send("POST", "/cbv/contact/", body=b"email=nope", headers=FORM)
    assert b"Enter a valid email address" in bad.body
    good = await browser.send("POST", "/cbv/contact/", body=b"email=a%40b.io", headers=FORM)
    assert (good.status, good.header("location")) == (302, "/cbv/thanks/")


async def test_redirect_view_with_an_async_url_lookup(browser, authors):
    result = await browser.send("GET", "/cbv/to/c/")
    assert (result.status, result.header("location")) == (302, f"/cbv/author/{authors[0].pk}/")
    assert (await browser.send("GET", "/cbv/to/nobody/")).status == 410


async def login(browser, username, *, perm=None, superuser=False):
    user = await User.objects.acreate(username=username, is_superuser=superuser)
    if perm:
        permission = await Permission.objects.aget(codename=perm, content_type__app_label="testapp")
        await user.user_permissions.aadd(permission)
    await browser.send("GET", f"/login/?username={username}")
    return user


async def test_login_required_redirects_anonymous_users(browser):
    anonymous = await browser.send("GET", "/cbv/private/")
    assert (anonymous.status, anonymous.header("location")) == (
        302,
        "/accounts/login/?next=/cbv/private/",
    )
    await login(browser, "ada")
    assert (await browser.send("GET", "/cbv/private/")).body == b"private for ada"


async def test_permission_required(browser):
    assert (await browser.send("GET", "/cbv/perms/")).status == 403
    await login(browser, "ada")
    assert (await browser.send("GET", "/cbv/perms/")).status == 403
    other = Browser(browser.app)
    await login(other, "grace", perm="add_author")
    assert (await other.send("GET", "/cbv/perms/")).body == b"allowed"


async def test_user_passes_an_async_test(browser):
    anonymous = await browser.send("GET", "/cbv/staff/")
    assert anonymous.status == 302
    await login(browser, "ada")
    assert (await browser.send("GET", "/cbv/staff/")).status == 403
    staff = Browser(browser.app)
    await login(staff, "staffy")
    assert (await staff.send("GET", "/cbv/staff/")).body == b"staff page"


def test_a_sync_handler_in_an_async_view_is_rejected_when_the_class_is_defined():
    with pytest.raises(TypeError, match=r"Broken.get\(\) must be 'async def'"):

        class Broken(AsyncView):
            def get(self, request):
                return None


def test_async_views_are_marked_async_for_django():
    assert cbv.Authors.view_is_async
    from asgiref.sync import iscoroutinefunction

    assert iscoroutinefunction(cbv.Authors.as_view())
