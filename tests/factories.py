"""factory_boy factories for every domain; tests build exactly the data they talk about."""

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from channeldesk.catalog.models import Order, OrderLine, Product, ProductKind
from channeldesk.partners.models import MembershipRole, Partner, PartnerMembership


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("correct horse battery staple")


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    partner_number = factory.Sequence(lambda n: f"P{n:06d}")
    name = factory.Sequence(lambda n: f"Reseller {n} GmbH")
    street = "Hauptstraße 1"
    postal_code = "80331"
    city = "München"
    country = "DE"
    email = factory.LazyAttribute(lambda partner: f"{partner.partner_number.lower()}@example.com")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnerMembership

    user = factory.SubFactory(UserFactory)
    partner = factory.SubFactory(PartnerFactory)
    role = MembershipRole.USER


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:04d}")
    name_de = factory.Sequence(lambda n: f"Produkt {n}")
    name_en = factory.Sequence(lambda n: f"Product {n}")
    kind = ProductKind.ENTERPRISE
    list_price = Decimal("100.00")
    unit = "licence"


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    partner = factory.SubFactory(PartnerFactory)
    order_number = factory.Sequence(lambda n: f"SO-{n:07d}")
    order_date = dt.date(2026, 3, 15)


def order_with_lines(
    partner: Partner,
    order_date: dt.date,
    lines: list[tuple[Product, int, Decimal]],
    order_number: str | None = None,
) -> Order:
    """An order and its lines, with the denormalised partner and date filled in as imports do."""
    order = OrderFactory(
        partner=partner,
        order_date=order_date,
        **({"order_number": order_number} if order_number else {}),
    )
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            line_number=index,
            partner=partner,
            order_date=order_date,
            product=product,
            quantity=quantity,
            net_amount=amount,
        )
        for index, (product, quantity, amount) in enumerate(lines, start=1)
    )
    return order
