"""API endpoints: end customers, their contracts and the contract changes (R10, docs/contracts.md).

Reads are for partner users and vendor staff. Which rows a caller sees is decided by
`contracts.selectors`: a partner user sees the customers it looks after now and all their
contracts; another partner's customer number or contract number answers 404 exactly like one
that does not exist.

Writes (create, renew, cancel, change the end date) are for vendor staff, except the support
desk, which only reads. Partner users, partner admins included, may not make them: a contract is
what the vendor invoices, booked from the partner's order in the vendor's ERP, so ChannelDesk
takes contracts from the back office and the ERP import and never from the partner directly.
Partners see the renewal quote for their customers' contracts and order the renewal as usual.

Every write validates its input first (400, nothing written); a change the contract's state
does not allow (renewing a cancelled contract, cancelling a renewed one) answers 409 and changes
nothing.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from channeldesk.api.contract_inputs import (
    ContractCancelSerializer,
    ContractCreateSerializer,
    ContractEndDateSerializer,
    ContractRenewSerializer,
)
from channeldesk.api.errors import DETAIL_ERRORS, error_response, validated, write_errors
from channeldesk.api.permissions import IsPartnerUserOrVendorStaff, IsVendorStaffWriter
from channeldesk.api.viewsets import (
    DayRangeFilters,
    FilteredListViewSet,
    ScopedReadViewSet,
    choice_filter,
    day_filter,
    number_filter,
    read_schema,
    search_filter,
)
from channeldesk.contracts.models import (
    CUSTOMER_MASTER_DATA,
    Contract,
    ContractStatus,
    Customer,
    CustomerSector,
)
from channeldesk.contracts.selectors import (
    contract_renewal_quote,
    contracts_filter,
    contracts_visible_to,
    contracts_with_relations,
    customer_partner_current,
    customers_search,
    customers_visible_to,
    customers_with_partner,
)
from channeldesk.contracts.services import (
    contract_cancel,
    contract_change_end_date,
    contract_create,
    contract_renew,
)


class MayBookContracts(IsVendorStaffWriter):
    """Vendor staff except the support desk (see the module docstring for why not partners)."""

    message = _("Contracts are booked by vendor staff; the support desk may only read.")


WRITE_ERRORS = write_errors(
    forbidden="Not vendor staff, or the support desk (which only reads).",
    not_found="No such contract.",
    conflict="The contract's status does not allow this change; nothing was written.",
)
CREATE_ERRORS = {code: answer for code, answer in WRITE_ERRORS.items() if code not in (404, 409)}


# --- Customers ----------------------------------------------------------------------------------


class CustomerSerializer(serializers.ModelSerializer):
    """A customer's master data and the partner who looks after it now."""

    partner_number = serializers.SerializerMethodField(
        help_text="The partner who looks after the customer now."
    )

    def get_partner_number(self, customer: Customer) -> str | None:
        partner = customer_partner_current(customer=customer)
        return partner.partner_number if partner is not None else None

    class Meta:
        model = Customer
        fields = [*CUSTOMER_MASTER_DATA, "partner_number"]
        read_only_fields = fields


class CustomerFilterSerializer(serializers.Serializer):
    sector = choice_filter(CustomerSector.choices, help_text="Only customers of this sector.")
    search = search_filter(fragment_of="the customer number or name")


@read_schema(
    list_summary="List customers",
    list_description="Vendor staff see every customer, a partner user those it looks after now.",
    detail_summary="One customer by its customer number",
)
class CustomerViewSet(ScopedReadViewSet[Customer]):
    serializer_class = CustomerSerializer
    filter_serializer_class = CustomerFilterSerializer
    lookup_field = "customer_number"
    lookup_value_regex = "[^/]+"

    def get_queryset(self) -> QuerySet[Customer]:
        return customers_with_partner(customers=customers_visible_to(user=self.request.user))

    def filter_rows(self, rows: QuerySet[Customer], **filters: Any) -> QuerySet[Customer]:
        return customers_search(customers=rows, **filters)


# --- Contracts: reading -------------------------------------------------------------------------


class ContractSerializer(serializers.ModelSerializer):
    """A contract. `partner_number` is the partner who sold it, which may differ from the
    partner who looks after the customer now."""

    customer_number = serializers.CharField(source="customer.customer_number", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    partner_number = serializers.CharField(
        source="partner.partner_number", read_only=True, help_text="The selling partner."
    )
    sku = serializers.CharField(source="product.sku", read_only=True)
    renews_contract_number = serializers.CharField(
        source="renews.contract_number", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Contract
        fields = [
            "contract_number",
            "customer_number",
            "customer_name",
            "partner_number",
            "sku",
            "seats",
            "start_date",
            "end_date",
            "status",
            "renews_contract_number",
            "cancelled_at",
            "cancellation_reason",
        ]
        read_only_fields = fields


class ContractFilterSerializer(DayRangeFilters):
    status = choice_filter(ContractStatus.choices, help_text="Only contracts in this status.")
    customer_number = number_filter(help_text="Only this customer's contracts.")
    partner_number = number_filter(help_text="Only contracts this partner sold.")
    ending_from = day_filter(help_text="Only contracts ending on or after this day (YYYY-MM-DD).")
    ending_to = day_filter(help_text="Only contracts ending on or before this day (YYYY-MM-DD).")

    day_range = ("ending_from", "ending_to")
    day_range_refusal = _("must not be before ending_from.")


class RenewalQuoteSerializer(serializers.Serializer):
    """The price of renewing a contract today, at the current partner's tier discount."""

    contract_number = serializers.CharField()
    partner_number = serializers.CharField(help_text="The partner who looks after the customer.")
    sku = serializers.CharField()
    on = serializers.DateField()
    quantity = serializers.DecimalField(max_digits=12, decimal_places=0, help_text="Seats.")
    unit = serializers.CharField()
    list_unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    list_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    tier = serializers.CharField()
    policy = serializers.CharField()
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    net_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = serializers.CharField()


# --- Contracts: the view set --------------------------------------------------------------------

WRITE_ACTIONS = {"create", "renew", "cancel", "change_end_date"}


@read_schema(
    list_summary="List contracts",
    list_description=(
        "Soonest end first. Vendor staff see every contract; a partner user the contracts of "
        "the customers it looks after now, whoever sold them."
    ),
    detail_summary="One contract by its contract number",
    create=extend_schema(
        summary="Book a new contract",
        request=ContractCreateSerializer,
        responses={
            201: ContractSerializer,
            **CREATE_ERRORS,
            409: error_response(
                "Nobody looks after the customer, and no partner_number was given."
            ),
        },
    ),
)
class ContractViewSet(
    mixins.RetrieveModelMixin, mixins.CreateModelMixin, FilteredListViewSet[Contract]
):
    serializer_class = ContractSerializer
    filter_serializer_class = ContractFilterSerializer
    lookup_field = "contract_number"
    lookup_value_regex = "[^/]+"

    def get_permissions(self) -> list[BasePermission]:
        if self.action in WRITE_ACTIONS:
            return [IsAuthenticated(), MayBookContracts()]
        return [IsAuthenticated(), IsPartnerUserOrVendorStaff()]

    def get_queryset(self) -> QuerySet[Contract]:
        contracts = contracts_visible_to(user=self.request.user)
        return contracts_with_relations(contracts=contracts)

    def filter_rows(self, rows: QuerySet[Contract], **filters: Any) -> QuerySet[Contract]:
        return contracts_filter(contracts=rows, **filters)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(ContractCreateSerializer, request.data)
        contract = contract_create(
            contract_number=data["contract_number"],
            customer=data["customer_number"],
            partner=data.get("partner_number"),
            product=data["sku"],
            seats=data["seats"],
            start_date=data["start_date"],
            end_date=data["end_date"],
        )
        return self._answer(contract, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Renew a contract",
        description=(
            "Creates the follow-up contract and marks this one renewed, in one transaction. "
            "Active and expired contracts can be renewed; a renewed or cancelled one answers "
            "409. The follow-up is sold by the partner who looks after the customer now."
        ),
        request=ContractRenewSerializer,
        responses={201: ContractSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def renew(self, request: Request, contract_number: str) -> Response:
        contract = self.get_object()
        data = validated(ContractRenewSerializer, request.data, contract=contract)
        follow_up = contract_renew(
            contract=contract,
            contract_number=data["contract_number"],
            end_date=data["end_date"],
            start_date=data.get("start_date"),
            seats=data.get("seats"),
            product=data.get("sku"),
        )
        return self._answer(follow_up, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Cancel a contract",
        description="Only an active contract can be cancelled; it keeps its end date.",
        request=ContractCancelSerializer,
        responses={200: ContractSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, contract_number: str) -> Response:
        contract = self.get_object()
        data = validated(ContractCancelSerializer, request.data)
        contract_cancel(contract=contract, reason=data["reason"])
        return self._answer(contract, status_code=status.HTTP_200_OK)

    @extend_schema(
        summary="Change a contract's end date",
        description="Only an active contract's end date can change.",
        request=ContractEndDateSerializer,
        responses={200: ContractSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="end-date", url_name="end-date")
    def change_end_date(self, request: Request, contract_number: str) -> Response:
        contract = self.get_object()
        data = validated(ContractEndDateSerializer, request.data, contract=contract)
        contract_change_end_date(contract=contract, end_date=data["end_date"])
        return self._answer(contract, status_code=status.HTTP_200_OK)

    @extend_schema(
        summary="The price of renewing a contract today",
        description=(
            "The contract's seats at today's list price, less the tier discount of the partner "
            "who looks after the customer now. 409 when that partner has no tier."
        ),
        responses={
            200: RenewalQuoteSerializer,
            **DETAIL_ERRORS,
            409: error_response("The partner has no tier today, so no discount can be determined."),
        },
    )
    @action(detail=True, methods=["get"], url_path="renewal-quote", url_name="renewal-quote")
    def renewal_quote(self, request: Request, contract_number: str) -> Response:
        contract = self.get_object()
        quote = contract_renewal_quote(contract=contract)
        return Response({"contract_number": contract.contract_number, **quote.as_dict()})

    def _answer(self, contract: Contract, *, status_code: int) -> Response:
        """The contract as stored now, read back through the caller's scope."""
        stored = self.get_queryset().get(pk=contract.pk)
        return Response(self.get_serializer(stored).data, status=status_code)


router = SimpleRouter()
router.register("customers", CustomerViewSet, basename="customer")
router.register("contracts", ContractViewSet, basename="contract")

urlpatterns = router.urls
