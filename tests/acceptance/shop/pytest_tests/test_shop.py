"""The shop's tests again, the pytest-django way; no conftest: the plugins load by themselves.

Each async test is marked ``@pytest.mark.asyncio``, so the suite runs in pytest-asyncio's
strict mode (its default) and in auto mode alike.
"""

import asyncio
from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync
from django.core import mail
from django.core.management import call_command
from shop.models import Category, Order, Product

from django_asyncx.db import run_in_db


@pytest.fixture
def catalog(db):
    call_command("loaddata", "catalog", verbosity=0)


@pytest.fixture
def dune(db):
    books = Category.objects.create(name="Books", slug="books")
    return Product.objects.create(
        category=books, name="Dune", slug="dune", price=Decimal("12.50"), stock=3
    )


@pytest.mark.asyncio
async def test_product_list(catalog, asyncx_client):
    response = await asyncx_client.get("/")
    assert "shop/product_list.html" in [t.name for t in response.templates]
    assert b"Dune (Books): 12.50" in response.content


@pytest.mark.asyncio
async def test_product_detail_renders_its_category(dune, asyncx_client):
    response = await asyncx_client.get("/products/dune/")
    assert response.content.strip() == b"Dune. Category: Books; 3 in stock."


def test_product_detail_from_a_sync_test(dune, asyncx_sync_client):
    response = asyncx_sync_client.get("/products/dune/")
    assert b"Category: Books;" in response.content


@pytest.mark.asyncio
async def test_price_in_another_currency(dune, asyncx_client, asyncx_upstream):
    asyncx_upstream.route("/latest/eur", json={"rate": 1.1})
    with asyncx_upstream.override_clients("rates"):
        response = await asyncx_client.get("/products/dune/price/eur/")
    assert response.json() == {"price": "13.75"}


def test_bridge_queries_are_counted(catalog, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert async_to_sync(run_in_db)(Product.objects.count) == 2


@pytest.mark.asyncio
async def test_queries_of_an_async_test_are_counted(catalog, asyncx_assert_num_queries):
    async with asyncx_assert_num_queries(2):
        await run_in_db(Product.objects.count)
        await Product.objects.acount()


@pytest.mark.asyncio
async def test_bridge_calls_in_parallel(catalog):
    counts = await asyncio.gather(*(run_in_db(Product.objects.count) for _ in range(5)))
    assert counts == [2] * 5


@pytest.mark.asyncio
async def test_stock_amethods_see_the_fixture(catalog):
    assert await Product.objects.filter(stock__gt=0).acount() == 1


def test_order_form_post(dune, asyncx_sync_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = asyncx_sync_client.post(
            "/orders/", {"email": "ada@example.com", "product": "dune", "quantity": 2}
        )
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/orders/{order.pk}/"
    assert mail.outbox[0].to == ["ada@example.com"]
    dune.refresh_from_db()
    assert dune.stock == 1


@pytest.mark.asyncio
async def test_order_total(dune, asyncx_client):
    response = await asyncx_client.post(
        "/orders/", {"email": "ada@example.com", "product": "dune", "quantity": 2}, follow=True
    )
    assert response.json() == {"email": "ada@example.com", "total": "25.00"}


@pytest.mark.asyncio
async def test_a_writes(db):
    await run_in_db(Order.objects.create, email="left@example.com")
    assert await Order.objects.acount() == 1


@pytest.mark.asyncio
async def test_b_sees_nothing_of_the_previous_test(db):
    assert await run_in_db(Order.objects.count) == 0


@pytest.fixture
def committed_catalog(transactional_db):
    call_command("loaddata", "catalog", verbosity=0)


@pytest.mark.asyncio
async def test_real_commits_send_the_mail(committed_catalog, asyncx_client):
    response = await asyncx_client.post(
        "/orders/", {"email": "ada@example.com", "product": "dune", "quantity": 1}
    )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert (await Product.objects.aget(slug="dune")).stock == 2
