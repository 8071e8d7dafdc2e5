"""API endpoints: the partner register, the product catalogue and the partners' orders (R1).

All of them are read-only. Which rows a caller sees is decided by the selectors
(`partners.selectors`, `catalog.selectors`), never here: a partner user sees its own partner and
its orders, and another partner's number or order id answers 404 exactly like one that does not
exist, so nobody can probe for other partners' data.
"""

from __future__ import annotations

import datetime as dt
from abc import ABCMeta, abstractmethod
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from channeldesk.api.errors import (
    DETAIL_ERRORS,
    READ_ERRORS,
    ApiError,
    error_response,
)
from channeldesk.api.permissions import IsPartnerUserOrVendorStaff
from channeldesk.api.viewsets import (
    DayRangeFilters,
    ScopedReadViewSet,
    choice_filter,
    day_filter,
    number_filter,
    read_schema,
    search_filter,
)
from channeldesk.catalog.models import Order, OrderLine, Product
from channeldesk.catalog.selectors import (
    orders_filter,
    orders_visible_to,
    orders_with_lines,
    products_visible_to,
)
from channeldesk.partners.models import Contact, Partner, PartnerStatus
from channeldesk.partners.selectors import partners_search, partners_visible_to
from channeldesk.tiers.selectors import tier_current_map


def visible_partner(*, user: Any, partner_number: str) -> Partner:
    """The partner of that number when `user` may see it; another partner's number answers 404
    exactly like one that does not exist."""
    partner = partners_visible_to(user=user).filter(partner_number=partner_number).first()
    if partner is None:
        raise ApiError("Not found.", code="not_found", status_code=404)
    return partner


# A document about one partner as of today (`document`), for partner users (their own partner)
# and vendor staff; a partner the caller may not see answers 404. (A comment, not a docstring:
# drf-spectacular would show a docstring as the description.)
class PartnerDocumentView(APIView, metaclass=ABCMeta):
    permission_classes = [IsAuthenticated, IsPartnerUserOrVendorStaff]

    def get(self, request: Request, partner_number: str) -> Response:
        partner = visible_partner(user=request.user, partner_number=partner_number)
        return Response(self.document(partner, today=timezone.localdate()))

    @abstractmethod
    def document(self, partner: Partner, *, today: dt.date) -> dict[str, Any]:
        """The document this view answers with, about `partner` as of `today`."""


# --- Partners -----------------------------------------------------------------------------------


class AccountManagerSerializer(serializers.Serializer):
    """The vendor's person who looks after the partner, as the partner may see them."""

    name = serializers.CharField(source="get_full_name")
    email = serializers.EmailField()


class PartnerTierSerializer(serializers.Serializer):
    """A partner's tier in force today and why."""

    code = serializers.CharField()
    name_de = serializers.CharField()
    name_en = serializers.CharField()
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    policy = serializers.CharField(help_text="CODE@VERSION of the policy that assigned it.")
    valid_from = serializers.DateField()
    # DRF's metaclass turns declared attributes into fields, so this shadows nothing at runtime.
    source = serializers.CharField(help_text="initial, evaluation or override")  # type: ignore[assignment]
    reasons = serializers.ListField(child=serializers.DictField())


class PartnerSerializer(serializers.ModelSerializer):
    """A partner's master data.

    `tier` is the tier in force today (code, names, discount, policy, valid from, source and the
    reasons, criterion by criterion); a list fetches it for the whole page in one query (the
    `tiers` map in the serializer context), so the list stays at a fixed number of queries.
    """

    account_manager = AccountManagerSerializer(read_only=True, allow_null=True)
    tier = serializers.SerializerMethodField()

    @extend_schema_field(PartnerTierSerializer(allow_null=True))
    def get_tier(self, partner: Partner) -> dict[str, Any] | None:
        tiers = self.context.get("tiers")
        if tiers is None:
            tiers = tier_current_map(
                on=timezone.localdate(), partner_ids=[partner.pk], with_reasons=True
            )
        current = tiers.get(partner.pk)
        if current is None:
            return None
        return {
            "code": current.tier_code,
            "name_de": current.tier_name_de,
            "name_en": current.tier_name_en,
            "discount_percent": str(current.discount_percent),
            "policy": current.policy_reference,
            "valid_from": current.valid_from,
            "source": current.source,
            "reasons": current.reasons or [],
        }

    class Meta:
        model = Partner
        fields = [
            "partner_number",
            "name",
            "street",
            "postal_code",
            "city",
            "country",
            "vat_id",
            "email",
            "phone",
            "language",
            "status",
            "tier",
            "account_manager",
            "partner_since",
        ]
        read_only_fields = fields


class ContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "name", "role", "email", "phone"]
        read_only_fields = fields


class PartnerFilterSerializer(serializers.Serializer):
    status = choice_filter(PartnerStatus.choices, help_text="Only partners with this status.")
    search = search_filter(fragment_of="the partner number or the legal name")


@read_schema(
    list_summary="List partners",
    list_description="Vendor staff see every partner, a partner user only its own.",
    detail_summary="One partner by its partner number",
)
class PartnerViewSet(ScopedReadViewSet[Partner]):
    serializer_class = PartnerSerializer
    filter_serializer_class = PartnerFilterSerializer
    lookup_field = "partner_number"
    lookup_value_regex = "[^/]+"

    def get_queryset(self) -> QuerySet[Partner]:
        return partners_visible_to(user=self.request.user).select_related("account_manager")

    def filter_rows(self, rows: QuerySet[Partner], **filters: Any) -> QuerySet[Partner]:
        return partners_search(
            partners=rows, status=filters.get("status"), search=filters.get("search")
        )

    def answer_page(self, rows: QuerySet[Partner]) -> Response:
        """The page with each partner's tier today, fetched for the whole page in one query."""
        page = self.paginate_queryset(rows) or []
        tiers = tier_current_map(
            on=timezone.localdate(), partner_ids=[p.pk for p in page], with_reasons=True
        )
        context = {**self.get_serializer_context(), "tiers": tiers}
        serializer = self.get_serializer(page, many=True, context=context)
        return self.get_paginated_response(serializer.data)


@extend_schema(
    summary="A partner's contacts",
    parameters=[
        OpenApiParameter(
            "partner_number", str, OpenApiParameter.PATH, description="The partner's number."
        )
    ],
    responses={200: ContactSerializer, **DETAIL_ERRORS},
)
class PartnerContactViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[Contact]):
    """The contacts of one partner; a partner the caller may not see answers 404."""

    serializer_class = ContactSerializer
    permission_classes = [IsAuthenticated, IsPartnerUserOrVendorStaff]

    def get_queryset(self) -> QuerySet[Contact]:
        partners = partners_visible_to(user=self.request.user)
        partner = get_object_or_404(partners, partner_number=self.kwargs["partner_number"])
        return partner.contacts.order_by("name", "id")


# --- Products -----------------------------------------------------------------------------------


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["sku", "name_de", "name_en", "kind", "list_price", "unit", "is_active"]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(
        summary="List products",
        description="The catalogue: every product for vendor staff, active ones for partners.",
        responses={200: ProductSerializer, 401: READ_ERRORS[401]},
    ),
    retrieve=extend_schema(
        summary="One product by its SKU",
        responses={
            200: ProductSerializer,
            401: READ_ERRORS[401],
            404: error_response("No such product, or it is retired and the caller is a partner."),
        },
    ),
)
class ProductViewSet(viewsets.ReadOnlyModelViewSet[Product]):
    serializer_class = ProductSerializer
    permission_classes = [IsAuthenticated]
    lookup_field = "sku"
    lookup_value_regex = "[^/]+"

    def get_queryset(self) -> QuerySet[Product]:
        return products_visible_to(user=self.request.user).order_by("sku")


# --- Orders -------------------------------------------------------------------------------------


class OrderLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)

    class Meta:
        model = OrderLine
        fields = ["line_number", "sku", "quantity", "net_amount"]
        read_only_fields = fields


class OrderSerializer(serializers.ModelSerializer):
    """An order or a credit note (negative lines) as the ERP recorded it."""

    partner_number = serializers.CharField(source="partner.partner_number", read_only=True)
    lines = OrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = ["id", "order_number", "partner_number", "order_date", "lines"]
        read_only_fields = fields


class OrderFilterSerializer(DayRangeFilters):
    partner_number = number_filter(help_text="Only this partner's orders.")
    date_from = day_filter(help_text="Only orders dated on or after this day (YYYY-MM-DD).")
    date_to = day_filter(help_text="Only orders dated on or before this day (YYYY-MM-DD).")

    day_range = ("date_from", "date_to")
    day_range_refusal = _("must not be before date_from.")


@read_schema(
    list_summary="List orders with their lines",
    list_description=(
        "Newest first. Vendor staff see every partner's orders, a partner user its own. "
        "Credit notes appear as orders with negative lines."
    ),
    detail_summary="One order with its lines",
)
class OrderViewSet(ScopedReadViewSet[Order]):
    serializer_class = OrderSerializer
    filter_serializer_class = OrderFilterSerializer

    def get_queryset(self) -> QuerySet[Order]:
        return orders_with_lines(orders=orders_visible_to(user=self.request.user))

    def filter_rows(self, rows: QuerySet[Order], **filters: Any) -> QuerySet[Order]:
        return orders_filter(orders=rows, **filters)


router = SimpleRouter()
router.register("partners", PartnerViewSet, basename="partner")
router.register(
    r"partners/(?P<partner_number>[^/]+)/contacts",
    PartnerContactViewSet,
    basename="partner-contact",
)
router.register("products", ProductViewSet, basename="product")
router.register("orders", OrderViewSet, basename="order")

urlpatterns = router.urls
