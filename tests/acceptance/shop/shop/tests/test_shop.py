"""The shop's own tests: an ordinary Django suite, unchanged on every database."""

import asyncio
from decimal import Decimal

from asgiref.sync import async_to_sync
from django.core import mail
from django.test import TestCase

from django_asyncx.db import run_in_db
from django_asyncx.testing.cases import AsyncxTestCase, AsyncxTransactionTestCase
from shop.models import Category, Order, Product


class CatalogTests(AsyncxTestCase):
    fixtures = ["catalog"]
    upstream_clients = ("rates",)

    async def test_product_list(self):
        response = await self.async_client.get("/")
        self.assertTemplateUsed(response, "shop/product_list.html")
        self.assertContains(response, "Dune (Books): 12.50")
        self.assertContains(response, "Go (Games): 30.00")

    async def test_product_detail_renders_its_category(self):
        response = await self.async_client.get("/products/dune/")
        self.assertContains(response, "Dune. Category: Books; 3 in stock.")
        self.assertEqual(response.context["product"].slug, "dune")

    def test_product_detail_from_a_sync_test(self):
        response = self.client.get("/products/dune/")
        self.assertContains(response, "Category: Books;")

    async def test_unknown_product_is_a_404(self):
        response = await self.async_client.get("/products/nothing/")
        self.assertEqual(response.status_code, 404)

    async def test_price_in_another_currency(self):
        self.upstream.route("/latest/eur", json={"rate": 1.1})
        response = await self.async_client.get("/products/dune/price/eur/")
        self.assertEqual(response.json(), {"price": "13.75"})
        self.assertEqual(self.upstream.request_count, 1)

    def test_sync_view(self):
        response = self.client.get("/categories/")
        self.assertContains(response, "Books;Games;")

    def test_bridge_queries_are_counted(self):
        with self.assertNumQueries(1):
            self.assertEqual(async_to_sync(run_in_db)(Product.objects.count), 2)

    async def test_queries_of_an_async_test_are_counted(self):
        async with self.aassertNumQueries(2):
            await run_in_db(Product.objects.count)
            await Product.objects.acount()

    async def test_bridge_calls_in_parallel(self):
        counts = await asyncio.gather(*(run_in_db(Product.objects.count) for _ in range(5)))
        self.assertEqual(counts, [2] * 5)


class OrderTests(AsyncxTestCase):
    @classmethod
    def setUpTestData(cls):
        books = Category.objects.create(name="Books", slug="books")
        cls.dune = Product.objects.create(
            category=books, name="Dune", slug="dune", price=Decimal("12.50"), stock=3
        )

    def test_order_form_post(self):
        with self.captureOnCommitCallbacks(execute=True) as callbacks:
            response = self.client.post(
                "/orders/", {"email": "ada@example.com", "product": "dune", "quantity": 2}
            )
        order = Order.objects.get()
        self.assertRedirects(response, f"/orders/{order.pk}/")
        self.assertEqual(len(callbacks), 1)
        self.assertEqual(mail.outbox[0].to, ["ada@example.com"])
        self.dune.refresh_from_db()
        self.assertEqual(self.dune.stock, 1)

    async def test_order_total(self):
        response = await self.async_client.post(
            "/orders/", {"email": "ada@example.com", "product": "dune", "quantity": 2}, follow=True
        )
        self.assertEqual(response.json(), {"email": "ada@example.com", "total": "25.00"})

    async def test_out_of_stock_changes_nothing(self):
        response = await self.async_client.post(
            "/orders/", {"email": "ada@example.com", "product": "dune", "quantity": 9}
        )
        self.assertEqual(response.status_code, 409)
        self.assertFalse(await Order.objects.aexists())

    async def test_a_writes(self):
        await run_in_db(Order.objects.create, email="left@example.com")
        self.assertEqual(await Order.objects.acount(), 1)

    async def test_b_sees_nothing_of_the_previous_test(self):
        self.assertEqual(await run_in_db(Order.objects.count), 0)


class DjangoAsyncClientTests(TestCase):
    """Django's own AsyncClient still serves a view opted out of ATOMIC_REQUESTS."""

    fixtures = ["catalog"]

    async def test_stock_count(self):
        response = await self.async_client.get("/stock/")
        self.assertEqual(response.content, b"1")


class RealCommitsTests(AsyncxTransactionTestCase):
    """TransactionTestCase keeps working: real commits, the mail goes out after them."""

    fixtures = ["catalog"]

    async def test_order_commits_and_sends_the_mail(self):
        response = await self.async_client.post(
            "/orders/", {"email": "ada@example.com", "product": "dune", "quantity": 1}
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(len(mail.outbox), 1)
        self.assertEqual((await Product.objects.aget(slug="dune")).stock, 2)
