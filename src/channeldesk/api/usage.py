"""API endpoints of the usage domain (R14, docs/usage.md): usage events in, statements out.

- `POST events`: the managed-service platform sends a batch of up to `USAGE_BATCH_LIMIT` events
  with a service token of scope `usage`; the answer says per item accepted, duplicate or
  rejected (with a reason). A token sends only for the subscriptions it was granted
  (`usage.SubscriptionSender`); another subscription's events are rejected like unknown ones.
  Logins (partners, staff) may not send usage: 403.
- `GET statements/…`: partner users see their own partner's statements, vendor staff all;
  another partner's statement answers 404. PDF, CSV and the evidence CSV per statement; the PDF
  and CSV also for one customer (`?customer_number=`), to forward.
"""

from __future__ import annotations

import datetime as dt
from abc import ABCMeta, abstractmethod
from typing import Any

from django.conf import settings
from django.http import FileResponse, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channeldesk.api.authentication import HasServiceScope, service_token_of
from channeldesk.api.errors import (
    DETAIL_ERRORS,
    LIST_ERRORS,
    ApiError,
    error_response,
    validated,
)
from channeldesk.api.pagination import ApiPagination
from channeldesk.api.parsers import IngestJSONParser
from channeldesk.api.permissions import IsPartnerUserOrVendorStaff
from channeldesk.contracts.models import Customer
from channeldesk.core.exports import csv_download, export_format
from channeldesk.core.models import TokenScope
from channeldesk.usage.events import batch_refusal, event_parse
from channeldesk.usage.ingest import REJECTED, usage_events_ingest
from channeldesk.usage.models import Statement, StatementLine
from channeldesk.usage.selectors import (
    statement_customer,
    statement_customers,
    statement_for,
    statement_lines,
    statements_filter,
    statements_visible_to,
)
from channeldesk.usage.statements import (
    statement_csv_write,
    statement_evidence_lines,
    statement_pdf,
)

# --- Events -------------------------------------------------------------------------------------


class EventItemSerializer(serializers.Serializer):
    """One usage event (documentation only: items are checked one by one, not all or nothing)."""

    event_id = serializers.CharField(max_length=100)
    subscription_key = serializers.CharField(max_length=64)
    user_key = serializers.CharField(max_length=128, required=False)
    service = serializers.CharField(max_length=64, required=False)
    occurred_at = serializers.DateTimeField()
    quantity = serializers.IntegerField(required=False, min_value=1)
    kind = serializers.ChoiceField(choices=["usage", "void", "adjust"], required=False)
    target_event_id = serializers.CharField(max_length=100, required=False)


class EventBatchSerializer(serializers.Serializer):
    events = EventItemSerializer(many=True)


class EventResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="The item's position in the batch, from 0.")
    event_id = serializers.CharField(allow_null=True, help_text="null if the item had none.")
    status = serializers.ChoiceField(choices=["accepted", "duplicate", "rejected"])
    reason = serializers.CharField(required=False)
    message = serializers.CharField(required=False)


class EventBatchResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    rejected = serializers.IntegerField()
    results = EventResultSerializer(many=True)


class UsageEventsView(APIView):
    permission_classes = [HasServiceScope.for_scope(TokenScope.USAGE)]
    parser_classes = [IngestJSONParser]

    @extend_schema(
        request=EventBatchSerializer,
        responses={
            200: EventBatchResultSerializer,
            400: error_response("Not a batch, or too large."),
            401: error_response("No or an unknown token."),
            403: error_response("Not a usage token."),
        },
        summary="Send a batch of usage events (service token of scope usage)",
    )
    def post(self, request: Request) -> Response:
        items = _batch_items(request.data)
        parsed = [event_parse(item) for item in items]
        report = usage_events_ingest(events=parsed, sender=service_token_of(request))
        results: list[dict[str, Any]] = []
        for index, (item, outcome) in enumerate(zip(items, report.statuses, strict=True)):
            event_id = item.get("event_id") if isinstance(item, dict) else None
            result: dict[str, Any] = {
                "index": index,
                "event_id": event_id if isinstance(event_id, str) else None,
                "status": outcome,
            }
            if outcome == REJECTED:
                rejection = report.rejections[index]
                result["reason"] = rejection.reason
                result["message"] = rejection.message
            results.append(result)
        return Response(
            {
                "accepted": report.accepted,
                "duplicate": report.duplicates,
                "rejected": report.rejected,
                "results": results,
            }
        )


def _batch_items(data: Any) -> list[Any]:
    """The batch's items: `{"events": [...]}` or a bare list; 400 for anything else."""
    items: Any = data.get("events") if isinstance(data, dict) else data
    refusal = batch_refusal(items, limit=settings.USAGE_BATCH_LIMIT)
    if refusal is not None:
        raise ApiError(
            refusal.message, code=refusal.reason, status_code=status.HTTP_400_BAD_REQUEST
        )
    return list(items)  # a non-empty list, checked above


# --- Statements ---------------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.STR)
class MonthField(serializers.ReadOnlyField):
    """A month (a date, its first day) as YYYY-MM."""

    def to_representation(self, value: dt.date) -> str:
        return f"{value:%Y-%m}"


class StatementSerializer(serializers.ModelSerializer):
    partner_number = serializers.CharField(source="partner.partner_number")
    partner_name = serializers.CharField(source="partner.name")
    period = MonthField()

    class Meta:
        model = Statement
        fields = [
            "number",
            "partner_number",
            "partner_name",
            "period",
            "issued_at",
            "list_total",
            "net_total",
            "currency",
        ]


class StatementLineSerializer(serializers.ModelSerializer):
    customer_number = serializers.CharField(source="customer.customer_number")
    # As issued: the statement keeps the names its PDF printed (a later rename changes neither).
    customer_name = serializers.CharField()
    contract_number = serializers.CharField()
    usage_month = MonthField()

    class Meta:
        model = StatementLine
        fields = [
            "position",
            "customer_number",
            "customer_name",
            "contract_number",
            "usage_month",
            "is_adjustment",
            "line_kind",
            "billing_unit",
            "first_day",
            "last_day",
            "units",
            "unit_price",
            "tier_code",
            "discount_percent",
            "list_amount",
            "net_amount",
        ]


class StatementDetailSerializer(StatementSerializer):
    lines = serializers.SerializerMethodField()
    customers = serializers.SerializerMethodField()

    @extend_schema_field(StatementLineSerializer(many=True))
    def get_lines(self, statement: Statement) -> list[dict[str, Any]]:
        lines = statement_lines(statement=statement)
        return list(StatementLineSerializer(lines, many=True).data)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_customers(self, statement: Statement) -> list[str]:
        customers = statement_customers(statement=statement)
        return list(customers.values_list("customer_number", flat=True))

    class Meta(StatementSerializer.Meta):
        fields = [*StatementSerializer.Meta.fields, "customers", "lines"]


class StatementQuerySerializer(serializers.Serializer):
    period = serializers.RegexField(
        r"^\d{4}-(0[1-9]|1[0-2])$", required=False, help_text="A month, YYYY-MM (year 1 or later)."
    )
    partner_number = serializers.CharField(required=False, max_length=32)

    def validate_period(self, value: str) -> dt.date:
        try:
            return dt.date.fromisoformat(f"{value}-01")
        except ValueError:
            # The pattern lets year 0000 through, which no calendar has.
            raise serializers.ValidationError(_("Not a month: use YYYY-MM.")) from None


class _StatementView(APIView):
    permission_classes = [IsPartnerUserOrVendorStaff]

    def statement(self, request: Request, number: str) -> Statement:
        try:
            return statement_for(user=request.user, number=number)
        except Statement.DoesNotExist:
            raise NotFound() from None

    def customer(self, request: Request, statement: Statement) -> Customer | None:
        number = request.query_params.get("customer_number")
        if not number:
            return None
        try:
            return statement_customer(statement=statement, customer_number=number)
        except Customer.DoesNotExist:
            raise NotFound() from None


class StatementListView(_StatementView):
    pagination_class = ApiPagination

    @extend_schema(
        parameters=[StatementQuerySerializer],
        responses={200: StatementSerializer(many=True), **LIST_ERRORS},
        summary="Usage statements (own partner's; staff: all)",
    )
    def get(self, request: Request) -> Response:
        query = validated(StatementQuerySerializer, request.query_params)
        statements = statements_filter(
            statements=statements_visible_to(user=request.user),
            period=query.get("period"),
            partner_number=query.get("partner_number"),
        )
        paginator = ApiPagination()
        page = paginator.paginate_queryset(statements, request, view=self)
        return paginator.get_paginated_response(StatementSerializer(page, many=True).data)


class StatementDetailView(_StatementView):
    @extend_schema(
        responses={200: StatementDetailSerializer, **DETAIL_ERRORS},
        summary="One usage statement with its lines",
    )
    def get(self, request: Request, number: str) -> Response:
        return Response(StatementDetailSerializer(self.statement(request, number)).data)


_CUSTOMER = OpenApiParameter(
    "customer_number", str, description="Only this customer's lines (a statement to forward)."
)


# A statement as a file: the whole, or one customer's lines (`?customer_number=`). (A comment,
# not a docstring: drf-spectacular would show a docstring as the description.)
class _StatementFileView(_StatementView, metaclass=ABCMeta):
    def get(self, request: Request, number: str) -> HttpResponseBase:
        statement = self.statement(request, number)
        return self.file(statement, customer=self.customer(request, statement))

    @abstractmethod
    def file(self, statement: Statement, *, customer: Customer | None) -> HttpResponseBase:
        """The statement (or one customer's part of it) as this view's file."""


def _file_schema(media_type: str, answer: Any, *, summary: str) -> Any:
    """The schema of a statement file: `?customer_number=`, the file, or a detail's errors."""
    return extend_schema(
        parameters=[_CUSTOMER],
        responses={(200, media_type): answer, **DETAIL_ERRORS},
        summary=summary,
    )


@_file_schema("application/pdf", OpenApiTypes.BINARY, summary="The statement as a PDF letter")
class StatementPdfView(_StatementFileView):
    def file(self, statement: Statement, *, customer: Customer | None) -> FileResponse:
        document = statement_pdf(statement=statement, customer=customer)
        suffix = f"-{customer.customer_number}" if customer is not None else ""
        return FileResponse(
            document.file.open("rb"),
            content_type="application/pdf",
            filename=f"{statement.number}{suffix}.pdf",
        )


@_file_schema("text/csv", OpenApiTypes.STR, summary="The statement's lines as CSV")
class StatementCsvView(_StatementFileView):
    def file(self, statement: Statement, *, customer: Customer | None) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{statement.number}.csv"'
        statement_csv_write(
            statement=statement, target=response, customer=customer, export=export_format()
        )
        return response


@_file_schema(
    "text/csv", OpenApiTypes.STR, summary="Evidence: which user keys counted on which days"
)
class StatementEvidenceView(_StatementFileView):
    def file(self, statement: Statement, *, customer: Customer | None) -> StreamingHttpResponse:
        lines = statement_evidence_lines(
            statement=statement, customer=customer, export=export_format()
        )
        return csv_download(lines=lines, filename=f"{statement.number}-evidence.csv")


urlpatterns = [
    path("events", UsageEventsView.as_view(), name="usage-events"),
    path("statements/", StatementListView.as_view(), name="usage-statement-list"),
    path("statements/<str:number>/", StatementDetailView.as_view(), name="usage-statement-detail"),
    path("statements/<str:number>/pdf", StatementPdfView.as_view(), name="usage-statement-pdf"),
    path("statements/<str:number>/csv", StatementCsvView.as_view(), name="usage-statement-csv"),
    path(
        "statements/<str:number>/evidence",
        StatementEvidenceView.as_view(),
        name="usage-statement-evidence",
    ),
]
