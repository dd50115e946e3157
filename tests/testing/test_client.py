"""AsyncxClient and AsyncxSyncClient: Django's test clients on django_asyncx's stack."""

from __future__ import annotations

from unittest import mock

from django.db import connections
from django.test import TestCase, TransactionTestCase, override_settings

from django_asyncx import lifespan
from django_asyncx.testing.cases import AsyncxTestCase, AsyncxTransactionTestCase
from django_asyncx.testing.client import AsyncxClient, AsyncxSyncClient
from django_asyncx.testing.upstream import Upstream
from tests.support.db_aliases import require
from tests.support.testapp.models import Author, Book, Entry
from tests.testing import client_app

on_client_app = override_settings(
    ROOT_URLCONF="tests.testing.client_app",
    TEMPLATES=client_app.TEMPLATES,
    MIDDLEWARE=client_app.MIDDLEWARE,
)


@on_client_app
class ClientAssertions(TestCase):
    """Django's assertion helpers work with both clients."""

    async_client_class = AsyncxClient
    client_class = AsyncxSyncClient

    @classmethod
    def setUpTestData(cls):
        Book.objects.create(title="Dune", author=Author.objects.create(name="Herbert"))

    async def test_template_and_context(self):
        response = await self.async_client.get("/client/books/")
        self.assertTemplateUsed(response, "client/books.html")
        self.assertContains(response, "Dune by Herbert;")
        self.assertEqual([book.title for book in response.context["books"]], ["Dune"])
        self.assertEqual(response.resolver_match.route, "client/books/")

    def test_template_and_context_sync(self):
        response = self.client.get("/client/books/")
        self.assertTemplateUsed(response, "client/books.html")
        self.assertContains(response, "Dune by Herbert;")
        self.assertEqual([book.title for book in response.context["books"]], ["Dune"])

    async def test_raise_request_exception(self):
        with self.assertRaisesMessage(ValueError, "the view failed"):
            await self.async_client.get("/client/fails/")
        client = AsyncxClient(raise_request_exception=False)
        response = await client.get("/client/fails/")
        self.assertEqual(response.status_code, 500)
        self.assertIs(response.exc_info[0], ValueError)

    def test_raise_request_exception_sync(self):
        with self.assertRaisesMessage(ValueError, "the view failed"):
            self.client.get("/client/fails/")
        response = AsyncxSyncClient(raise_request_exception=False).get("/client/fails/")
        self.assertEqual(response.status_code, 500)

    async def test_streaming_response(self):
        response = await self.async_client.get("/client/stream/")
        self.assertTrue(response.streaming)
        chunks = [chunk async for chunk in response.streaming_content]
        self.assertEqual(chunks, [b"chunk 0;", b"chunk 1;", b"chunk 2;"])

    def test_streaming_response_sync(self):
        response = self.client.get("/client/stream/")
        self.assertTrue(response.streaming)
        self.assertEqual(b"".join(response.streaming_content), b"chunk 0;chunk 1;chunk 2;")

    def test_login_and_session_shared_with_the_async_client(self):
        from django.contrib.auth.models import User

        user = User.objects.create_user("ada", password="secret")
        self.assertEqual(self.client.get("/client/who/").content, b"anonymous")
        self.client.force_login(user)
        self.assertEqual(self.client.get("/client/who/").content, b"ada")
        self.assertIs(self.client.cookies, self.client.async_client.cookies)
        self.client.logout()
        self.assertEqual(self.client.get("/client/who/").content, b"anonymous")

    def test_wsgi_style_headers_are_sent(self):
        response = self.client.get("/client/books/", HTTP_ACCEPT="text/html")
        self.assertEqual(response.wsgi_request.headers["Accept"], "text/html")
        response = self.client.get("/client/books/", headers={"accept": "text/plain"})
        self.assertEqual(response.asgi_request.headers["Accept"], "text/plain")


@on_client_app
class ClientRedirects(TransactionTestCase):
    """A POST through the bridge, then its redirect (rows on the bridge's connections)."""

    async_client_class = AsyncxClient
    client_class = AsyncxSyncClient

    async def test_assert_redirects(self):
        response = await self.async_client.post("/client/authors/add/", {"name": "Le Guin"})
        self.assertRedirects(response, "/client/authors/", fetch_redirect_response=False)
        response = await self.async_client.post(
            "/client/authors/add/", {"name": "Banks"}, follow=True
        )
        self.assertEqual(response.redirect_chain, [("/client/authors/", 302)])
        self.assertContains(response, "Banks,Le Guin")

    def test_assert_redirects_sync(self):
        response = self.client.post("/client/authors/add/", {"name": "Le Guin"})
        # fetch_redirect_response: assertRedirects fetches the target with the sync client.
        self.assertRedirects(response, "/client/authors/")
        self.assertIs(response.client, self.client)
        response = self.client.post("/client/authors/add/", {"name": "Banks"}, follow=True)
        self.assertEqual(response.redirect_chain, [("/client/authors/", 302)])
        self.assertContains(response, "Banks,Le Guin")


@on_client_app
class LifespanHooks(TestCase):
    """The startup hooks run before the first request of a loop, the shutdown hooks after."""

    async_client_class = AsyncxClient
    client_class = AsyncxSyncClient

    def setUp(self):
        self.events: list[str] = []

        async def started() -> None:
            self.events.append("startup")

        def stopped() -> None:
            self.events.append("shutdown")

        patcher = mock.patch.object(
            lifespan, "_steps", [("startup", started), ("shutdown", stopped)]
        )
        patcher.start()
        self.addCleanup(patcher.stop)

    async def test_startup_runs_once_per_loop(self):
        self.assertEqual(self.events, [])
        await self.async_client.get("/client/books/")
        await self.async_client.get("/client/books/")
        self.assertEqual(self.events, ["startup"])

    def test_shutdown_runs_when_the_loop_ends(self):
        self.client.get("/client/books/")
        self.assertEqual(self.events, ["startup", "shutdown"])
        self.client.get("/client/books/")
        self.assertEqual(self.events, ["startup", "shutdown"] * 2)

    def test_a_given_application_runs_its_own_lifespan(self):
        from django_asyncx.asgi import get_asgi_application

        application = get_asgi_application()
        client = AsyncxSyncClient(application=application)
        client.get("/client/books/")
        self.assertIs(client.async_client.handler.client, client.async_client)
        self.assertEqual(self.events, ["startup", "shutdown"])
        self.assertFalse(application.lifespan.started)


@on_client_app
class RequestHttpToUpstream(TestCase):
    """``request.http`` calls the test's upstream."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.upstream = Upstream().start()
        cls.addClassCleanup(cls.upstream.stop)
        cls.upstream.route("/rates/eur", json={"eur": 1.08})

    async def test_async_client(self):
        client = AsyncxClient(upstream=self.upstream)
        response = await client.get("/client/rates/")
        self.assertEqual(response.json(), {"eur": 1.08})
        self.assertEqual([r.path for r in self.upstream.requests][-1], "/rates/eur")

    def test_sync_client(self):
        response = AsyncxSyncClient(upstream=self.upstream).get("/client/rates/")
        self.assertEqual(response.json(), {"eur": 1.08})


class AtomicRequestsMixin:
    """ATOMIC_REQUESTS for an async view, inside a TestCase, on one database alias."""

    alias = "default"
    async_client_class = AsyncxClient
    client_class = AsyncxSyncClient

    @classmethod
    def setUpClass(cls):
        require(cls.alias)
        entry = connections.settings[cls.alias]
        saved = entry["ATOMIC_REQUESTS"]
        entry["ATOMIC_REQUESTS"] = True
        cls.addClassCleanup(entry.__setitem__, "ATOMIC_REQUESTS", saved)
        super().setUpClass()

    @classmethod
    def setUpTestData(cls):
        Entry.objects.using(cls.alias).create(label="from setUpTestData")

    async def test_view_sees_the_test_data_and_fails_atomically(self):
        response = await self.async_client.get(f"/testapp/entries/{self.alias}/count/")
        self.assertEqual(response.content, b"1")
        response = await self.async_client.get(f"/testapp/entries/{self.alias}/?label=kept")
        self.assertEqual(response.content, b"created")
        with self.assertRaisesMessage(RuntimeError, "failing after the write"):
            await self.async_client.get(f"/testapp/entries/{self.alias}/?label=undone&fail=1")
        labels = [e.label async for e in Entry.objects.using(self.alias).order_by("pk")]
        self.assertEqual(labels, ["from setUpTestData", "kept"])

    def test_sync_client(self):
        response = self.client.get(f"/testapp/entries/{self.alias}/?label=kept")
        self.assertEqual(response.content, b"created")
        response = self.client.get(f"/testapp/entries/{self.alias}/count/")
        self.assertEqual(response.content, b"2")


def atomic_requests_case(alias: str) -> type[TestCase]:
    name = f"AtomicRequests_{alias}"
    attrs = {"alias": alias, "databases": {alias}, "__module__": __name__, "__qualname__": name}
    return on_client_app(type(name, (AtomicRequestsMixin, TestCase), attrs))


AtomicRequestsSQLite = atomic_requests_case("default")
AtomicRequestsPostgres = atomic_requests_case("postgres")
AtomicRequestsNative = atomic_requests_case("native")
AtomicRequestsMariaDB = atomic_requests_case("mariadb")


@on_client_app
class UpstreamForTheClass(AsyncxTestCase):
    """AsyncxTestCase: both clients are ours, and one upstream serves the class."""

    upstream_clients = ("default",)

    @classmethod
    def setUpTestData(cls):
        cls.upstream.route("/rates/eur", json={"eur": 1.08})

    async def test_async_client(self):
        self.assertIsInstance(self.async_client, AsyncxClient)
        response = await self.async_client.get("/client/rates/")
        self.assertEqual(response.json(), {"eur": 1.08})
        self.assertEqual(self.upstream.request_count, 1)

    def test_sync_client(self):
        self.assertIsInstance(self.client, AsyncxSyncClient)
        response = self.client.get("/client/rates/")
        self.assertEqual(response.json(), {"eur": 1.08})
        # Recorded requests start again with each test.
        self.assertEqual(self.upstream.request_count, 1)


class TransactionCaseClients(AsyncxTransactionTestCase):
    async def test_clients(self):
        self.assertIsInstance(self.async_client, AsyncxClient)
        self.assertIsInstance(self.client, AsyncxSyncClient)
        response = await self.async_client.get("/hello/")
        self.assertEqual(response.json(), {"hello": "world", "method": "GET"})
