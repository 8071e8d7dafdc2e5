"""What the contract writes of the API accept: checked before any service runs (R10).

Each serializer answers 400 for input that cannot be right whatever the contract's state: an
unknown customer, partner or SKU, a product that is not an enterprise or service product, a
contract number that is taken, dates in the wrong order. What the state decides (renewing a
cancelled contract) is the services' refusal and answers 409 (`channeldesk.api.contracts`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from channeldesk.catalog.models import Product
from channeldesk.contracts.models import CONTRACT_PRODUCT_KINDS, Contract, Customer
from channeldesk.partners.models import Partner


def _contractable_product(sku: str) -> Product:
    product = Product.objects.filter(sku=sku).first()
    if product is None:
        raise serializers.ValidationError(_("No product with this SKU."))
    if product.kind not in CONTRACT_PRODUCT_KINDS:
        raise serializers.ValidationError(
            _("Contracts are for enterprise and service products only.")
        )
    return product


def _new_contract_number(number: str) -> str:
    if Contract.objects.filter(contract_number=number).exists():
        raise serializers.ValidationError(_("A contract with this number exists already."))
    return number


class ContractCreateSerializer(serializers.Serializer):
    contract_number = serializers.CharField(max_length=64)
    customer_number = serializers.CharField(max_length=32)
    partner_number = serializers.CharField(
        max_length=32,
        required=False,
        help_text="The selling partner; default: the partner who looks after the customer.",
    )
    sku = serializers.CharField(max_length=64, help_text="An enterprise or service product.")
    seats = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    start_date = serializers.DateField()
    end_date = serializers.DateField(help_text="The last day of the contract.")

    def validate_contract_number(self, value: str) -> str:
        return _new_contract_number(value)

    def validate_customer_number(self, value: str) -> Customer:
        customer = Customer.objects.filter(customer_number=value).first()
        if customer is None:
            raise serializers.ValidationError(_("No customer with this number."))
        return customer

    def validate_partner_number(self, value: str) -> Partner:
        partner = Partner.objects.filter(partner_number=value).first()
        if partner is None:
            raise serializers.ValidationError(_("No partner with this number."))
        return partner

    def validate_sku(self, value: str) -> Product:
        return _contractable_product(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["end_date"] < attrs["start_date"]:
            raise serializers.ValidationError({"end_date": _("must not be before start_date.")})
        return attrs


class ContractRenewSerializer(serializers.Serializer):
    """The follow-up contract; what is left out is taken over from the renewed contract."""

    contract_number = serializers.CharField(
        max_length=64, help_text="The number of the follow-up contract."
    )
    end_date = serializers.DateField(help_text="The last day of the follow-up contract.")
    start_date = serializers.DateField(
        required=False, help_text="Default: the day after the renewed contract ends."
    )
    seats = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, required=False, help_text="Default: the same seats."
    )
    sku = serializers.CharField(max_length=64, required=False, help_text="Default: the same.")

    def validate_contract_number(self, value: str) -> str:
        return _new_contract_number(value)

    def validate_sku(self, value: str) -> Product:
        return _contractable_product(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        renewed: Contract = self.context["contract"]
        start_date = attrs.get("start_date") or renewed.end_date + dt.timedelta(days=1)
        if start_date <= renewed.start_date:
            message = _("must be after the renewed contract's start date.")
            raise serializers.ValidationError({"start_date": message})
        if attrs["end_date"] < start_date:
            raise serializers.ValidationError({"end_date": _("must not be before start_date.")})
        return attrs


class ContractCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Why the contract is cancelled.")


class ContractEndDateSerializer(serializers.Serializer):
    end_date = serializers.DateField(help_text="The new last day of the contract.")

    def validate_end_date(self, value: Any) -> Any:
        contract: Contract = self.context["contract"]
        if value < contract.start_date:
            raise serializers.ValidationError(_("must not be before the contract's start date."))
        return value
