"""The shop's views: async ones on the ORM, one sync view, one calling another service."""

from decimal import Decimal

from django import forms
from django.core.mail import send_mail
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse

from django_asyncx.db import aon_commit, atomic, database_sync_to_async
from django_asyncx.templates import arender

from .models import Category, Order, OrderLine, Product


async def product_list(request: HttpRequest) -> HttpResponse:
    products = Product.objects.select_related("category").order_by("name")
    return await arender(request, "shop/product_list.html", {"products": products})


async def product_detail(request: HttpRequest, slug: str) -> TemplateResponse:
    # The category (a FK) is loaded while the template renders.
    product = await Product.objects.filter(slug=slug).afirst()
    if product is None:
        raise Http404(f"no product {slug!r}")
    return TemplateResponse(request, "shop/product_detail.html", {"product": product})


class OrderForm(forms.Form):
    email = forms.EmailField()
    product = forms.SlugField()
    quantity = forms.IntegerField(min_value=1)


async def place_order(request: HttpRequest) -> HttpResponse:
    form = OrderForm(request.POST)
    if not form.is_valid():
        return HttpResponse(form.errors.as_json(), status=400, content_type="application/json")
    data = form.cleaned_data
    async with atomic():
        product = await Product.objects.select_for_update().aget(slug=data["product"])
        if product.stock < data["quantity"]:
            return HttpResponse("out of stock", status=409)
        product.stock -= data["quantity"]
        await product.asave(update_fields=["stock"])
        order = await Order.objects.acreate(email=data["email"])
        await OrderLine.objects.acreate(
            order=order, product=product, quantity=data["quantity"], price=product.price
        )
        await aon_commit(
            lambda: send_mail("Your order", f"Order {order.pk}", None, [data["email"]])
        )
    return redirect("order", pk=order.pk)


@database_sync_to_async
def order_total(pk: int) -> Decimal:
    lines = OrderLine.objects.filter(order=pk)
    return sum((line.price * line.quantity for line in lines), Decimal(0))


async def order_detail(request: HttpRequest, pk: int) -> JsonResponse:
    order = await Order.objects.aget(pk=pk)
    return JsonResponse({"email": order.email, "total": str(await order_total(pk))})


async def price_in(request: HttpRequest, slug: str, currency: str) -> JsonResponse:
    product = await Product.objects.aget(slug=slug)
    rates = await request.http.get(f"/latest/{currency}")  # type: ignore[attr-defined]
    rate = Decimal(str(rates.json()["rate"]))
    return JsonResponse({"price": str((product.price * rate).quantize(Decimal("0.01")))})


def category_list(request: HttpRequest) -> HttpResponse:
    """A sync view."""
    return render(request, "shop/category_list.html", {"categories": Category.objects.all()})


@transaction.non_atomic_requests
async def stock_count(request: HttpRequest) -> HttpResponse:
    """Opted out of ATOMIC_REQUESTS, so Django's own AsyncClient can serve it too."""
    return HttpResponse(str(await Product.objects.filter(stock__gt=0).acount()))
