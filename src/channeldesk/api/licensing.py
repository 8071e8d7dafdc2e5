"""API endpoints: keycodes, licence certificates, the vendor's public key, the compliance report
and a contract's licence status (R12, R13).

- Keycodes and certificates are for vendor staff: the support desk reads (show, check) and
  everyone else of the vendor also writes (issue, revoke, rotate, certificates). Partners never
  see a full code.
- The vendor's Ed25519 public key is public: products and customers verify certificates and
  activation answers with it.
- The compliance report (JSON or CSV) is for vendor staff.
- A contract's licence status (masked keycode, latest compliance record, open episode with its
  true-up quote) is for partner users of the customer's partner and vendor staff; another
  partner's contract answers 404.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channeldesk.api.documents import (
    CertificateDocumentSerializer,
    KeycodeCheckDocumentSerializer,
    PublicKeyDocumentSerializer,
)
from channeldesk.api.errors import ApiError, error_response, validated, write_errors
from channeldesk.api.permissions import (
    IsPartnerUserOrVendorStaff,
    IsVendorStaff,
    IsVendorStaffWriter,
)
from channeldesk.contracts.models import Contract
from channeldesk.contracts.selectors import contracts_visible_to
from channeldesk.core.exports import csv_attachment, export_format
from channeldesk.licensing.keycodes import keycode_mask
from channeldesk.licensing.keys import key_material
from channeldesk.licensing.models import (
    KEYCODE_REVEAL_PERMISSION,
    Keycode,
    KeycodeStatus,
    LicenceCertificate,
    RevealChannel,
)
from channeldesk.licensing.reports import keycode_report
from channeldesk.licensing.selectors import (
    ComplianceReport,
    compliance_report,
    compliance_report_csv,
    contract_licence_status,
)
from channeldesk.licensing.services import (
    KeycodeCheck,
    certificate_issue,
    keycode_check,
    keycode_issue,
    keycode_reveal,
    keycode_revoke,
    keycode_rotate,
    keycode_text,
)


class MayManageKeycodes(IsVendorStaffWriter):
    """Vendor staff; the support desk only reads."""

    message = _("Keycodes are managed by vendor staff; the support desk may only read.")


_CHANGE_ERRORS = write_errors(
    forbidden="Not vendor staff (or the support desk, for a change).",
    not_found="No such contract.",
    conflict="The keycode's or contract's state does not allow this; nothing was written.",
)
STAFF_ERRORS = {code: _CHANGE_ERRORS[code] for code in (401, 403)}
# The staff answers first: the order the schema has always listed them in.
WRITE_ERRORS = {**STAFF_ERRORS, **_CHANGE_ERRORS}


def _contract(contract_number: str) -> Contract:
    return get_object_or_404(
        Contract.objects.select_related("customer", "product"), contract_number=contract_number
    )


def _named_contract(request: Request) -> Contract:
    """The contract the request body names; an unknown number is a 400 on that field."""
    data = validated(ContractNumberSerializer, request.data)
    contract = Contract.objects.filter(contract_number=data["contract_number"]).first()
    if contract is None:
        raise ApiError(
            str(_("Unknown contract number.")),
            details=[{"field": "contract_number", "message": "unknown", "code": "unknown"}],
        )
    return contract


def _active_keycode(contract: Contract) -> Keycode:
    keycode = Keycode.objects.filter(contract=contract, status=KeycodeStatus.ACTIVE).first()
    if keycode is None:
        raise ApiError(
            str(_("The contract has no active keycode.")),
            code="no_keycode",
            status_code=status.HTTP_409_CONFLICT,
        )
    return keycode


class MayRevealKeycodes(BasePermission):
    """Whole keycodes: staff with `licensing.reveal_keycode` (superusers, channel managers);
    the support desk sees keycodes masked in the admin and not at all here."""

    message = _("Whole keycodes are shown to channel managers only.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user.has_perm(KEYCODE_REVEAL_PERMISSION))


def keycode_document(keycode: Keycode, *, request: Request) -> dict[str, Any]:
    """A keycode for vendor staff: the whole code for those who may see it (the reveal is
    recorded), masked for anyone else."""
    if request.user.has_perm(KEYCODE_REVEAL_PERMISSION):
        code = keycode_reveal(keycode=keycode, actor=request.user, channel=RevealChannel.API)
    else:
        code = keycode_mask(keycode_text(keycode=keycode))
    return {
        **keycode_report(keycode, code=code),
        "replaces_key_id_serial": (
            f"{keycode.replaces.key_id}/{keycode.replaces.serial}" if keycode.replaces else None
        ),
    }


def check_document(check: KeycodeCheck) -> dict[str, Any]:
    return {
        "valid": check.valid,
        "reason": check.reason or None,
        "message": check.message,
        "contract_number": check.contract.contract_number if check.contract else None,
        "status": check.keycode.status if check.keycode else None,
    }


class KeycodeListSchema(serializers.Serializer):
    """A keycode for vendor staff (documentation of the answer)."""

    code = serializers.CharField()
    contract_number = serializers.CharField()
    key_id = serializers.IntegerField()
    status = serializers.CharField()
    issued_at = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField(allow_null=True)
    revocation_reason = serializers.CharField()
    replaces_key_id_serial = serializers.CharField(allow_null=True)


KEYCODE_SCHEMA = KeycodeListSchema


class ContractNumberSerializer(serializers.Serializer):
    contract_number = serializers.CharField(max_length=64)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text="Why (kept with the keycode).")


class CodeSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=100, help_text="A keycode as typed.")


class KeycodeIssueView(APIView):
    permission_classes = [IsAuthenticated, MayManageKeycodes]

    @extend_schema(
        summary="Issue the keycode of an enterprise contract",
        request=ContractNumberSerializer,
        responses={201: KEYCODE_SCHEMA, **WRITE_ERRORS},
    )
    def post(self, request: Request) -> Response:
        contract = _named_contract(request)
        issued = keycode_issue(contract=contract, actor=request.user)
        return Response(
            keycode_document(issued.keycode, request=request), status=status.HTTP_201_CREATED
        )


class KeycodeDetailView(APIView):
    permission_classes = [IsAuthenticated, IsVendorStaff, MayRevealKeycodes]

    @extend_schema(
        summary="A contract's keycodes, the active one first",
        responses={
            200: KeycodeListSchema(many=True),
            **STAFF_ERRORS,
            404: error_response("No such contract."),
        },
    )
    def get(self, request: Request, contract_number: str) -> Response:
        contract = _contract(contract_number)
        keycodes = Keycode.objects.filter(contract=contract).select_related("contract", "replaces")
        ordered = sorted(keycodes, key=lambda item: (item.status != KeycodeStatus.ACTIVE, -item.pk))
        return Response([keycode_document(keycode, request=request) for keycode in ordered])


class KeycodeCheckView(APIView):
    permission_classes = [IsAuthenticated, IsVendorStaff]

    @extend_schema(
        summary="Check a keycode: valid, or why not",
        description="Reasons: typo, unknown, revoked, other_key, expired, contract_ended.",
        request=CodeSerializer,
        responses={200: KeycodeCheckDocumentSerializer, **STAFF_ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = validated(CodeSerializer, request.data)
        return Response(check_document(keycode_check(text=data["code"])))


# A change of the contract's active keycode, with a reason: 404 for no such contract, then 400
# without a reason, then 409 when the contract has no active keycode; the answer is the keycode
# `change` returns, with `answer_status`. (A comment, not a docstring: drf-spectacular would
# show a docstring as the description of both operations.)
class _KeycodeChangeView(APIView, metaclass=ABCMeta):
    permission_classes = [IsAuthenticated, MayManageKeycodes]
    answer_status: int = status.HTTP_200_OK

    @abstractmethod
    def change(self, keycode: Keycode, *, reason: str, actor: Any) -> Keycode:
        """Apply this view's change to the active `keycode`; the keycode to answer with."""

    def post(self, request: Request, contract_number: str) -> Response:
        contract = _contract(contract_number)
        data = validated(ReasonSerializer, request.data)
        keycode = self.change(_active_keycode(contract), reason=data["reason"], actor=request.user)
        return Response(keycode_document(keycode, request=request), status=self.answer_status)


@extend_schema(
    summary="Revoke the contract's active keycode",
    request=ReasonSerializer,
    responses={200: KEYCODE_SCHEMA, **WRITE_ERRORS},
)
class KeycodeRevokeView(_KeycodeChangeView):
    def change(self, keycode: Keycode, *, reason: str, actor: Any) -> Keycode:
        return keycode_revoke(keycode=keycode, reason=reason, actor=actor)


@extend_schema(
    summary="Rotate a compromised keycode: revoke it and issue a new one",
    request=ReasonSerializer,
    responses={201: KEYCODE_SCHEMA, **WRITE_ERRORS},
)
class KeycodeRotateView(_KeycodeChangeView):
    answer_status = status.HTTP_201_CREATED

    def change(self, keycode: Keycode, *, reason: str, actor: Any) -> Keycode:
        return keycode_rotate(keycode=keycode, reason=reason, actor=actor).keycode


def certificate_document(certificate: LicenceCertificate) -> dict[str, Any]:
    return {
        "certificate": certificate.token,
        "content": certificate.body,
        "key_id": certificate.signing_key_id,
        "public_key": key_material().public_key_base64,
        "valid_until": certificate.valid_until.isoformat(),
    }


class CertificateIssueView(APIView):
    permission_classes = [IsAuthenticated, MayManageKeycodes]

    @extend_schema(
        summary="Issue a signed licence certificate (offline sites)",
        request=ContractNumberSerializer,
        responses={
            201: OpenApiResponse(
                CertificateDocumentSerializer, description="The signed certificate."
            ),
            **WRITE_ERRORS,
        },
    )
    def post(self, request: Request) -> Response:
        contract = _named_contract(request)
        certificate = certificate_issue(contract=contract, actor=request.user)
        return Response(certificate_document(certificate), status=status.HTTP_201_CREATED)


class PublicKeyView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    @extend_schema(
        summary="The vendor's Ed25519 public key (certificates and activation answers)",
        responses={200: PublicKeyDocumentSerializer},
    )
    def get(self, request: Request) -> Response:
        keys = key_material()
        return Response(
            {
                "algorithm": "Ed25519",
                "key_id": keys.signing_key_id,
                "public_key": keys.public_key_base64,
            }
        )


class ReportQuerySerializer(serializers.Serializer):
    on = serializers.DateField(required=False, help_text="The report as of this day (latest scan).")


# The compliance report for vendor staff, as of the day `?on=` names (the latest scan). (A
# comment, not a docstring: drf-spectacular would show a docstring as a description.)
class _ComplianceView(APIView):
    permission_classes = [IsAuthenticated, IsVendorStaff]

    def report(self, request: Request) -> ComplianceReport:
        query = validated(ReportQuerySerializer, request.query_params)
        return compliance_report(on=query.get("on"))


class ComplianceReportView(_ComplianceView):
    @extend_schema(
        summary="The under-licensing report: overall, by partner, sector and gap, the trend",
        parameters=[ReportQuerySerializer],
        responses={200: OpenApiResponse(description="The report."), **STAFF_ERRORS},
    )
    def get(self, request: Request) -> Response:
        return Response(self.report(request).as_dict())


class ComplianceReportCsvView(_ComplianceView):
    """The CSV export has its own URL: DRF reserves `?format=` for choosing a renderer, and
    errors must still come as JSON."""

    @extend_schema(
        summary="The under-licensed contracts of the report as CSV",
        parameters=[ReportQuerySerializer],
        responses={200: OpenApiResponse(description="text/csv"), **STAFF_ERRORS},
    )
    def get(self, request: Request) -> HttpResponse:
        report = self.report(request)
        day = report.day.isoformat() if report.day else "none"
        return csv_attachment(
            text=compliance_report_csv(report=report, export=export_format()),
            filename=f"compliance-{day}.csv",
        )


class ContractLicenceView(APIView):
    permission_classes = [IsAuthenticated, IsPartnerUserOrVendorStaff]

    @extend_schema(
        summary="A contract's licence status: masked keycode, compliance, true-up quote",
        responses={
            200: OpenApiResponse(description="The status."),
            404: error_response("No such contract."),
        },
    )
    def get(self, request: Request, contract_number: str) -> Response:
        contract = get_object_or_404(
            contracts_visible_to(user=request.user), contract_number=contract_number
        )
        found = contract_licence_status(contract_ids=[contract.pk])[contract.pk]
        return Response({"contract_number": contract.contract_number, **found.as_dict()})


urlpatterns = [
    path("licensing/keycodes/", KeycodeIssueView.as_view(), name="licensing-keycode-issue"),
    path("licensing/keycodes/check/", KeycodeCheckView.as_view(), name="licensing-keycode-check"),
    path(
        "licensing/keycodes/<str:contract_number>/",
        KeycodeDetailView.as_view(),
        name="licensing-keycode-detail",
    ),
    path(
        "licensing/keycodes/<str:contract_number>/revoke/",
        KeycodeRevokeView.as_view(),
        name="licensing-keycode-revoke",
    ),
    path(
        "licensing/keycodes/<str:contract_number>/rotate/",
        KeycodeRotateView.as_view(),
        name="licensing-keycode-rotate",
    ),
    path(
        "licensing/certificates/",
        CertificateIssueView.as_view(),
        name="licensing-certificate-issue",
    ),
    path("licensing/public-key/", PublicKeyView.as_view(), name="licensing-public-key"),
    path(
        "licensing/compliance/", ComplianceReportView.as_view(), name="licensing-compliance-report"
    ),
    path(
        "licensing/compliance/csv/",
        ComplianceReportCsvView.as_view(),
        name="licensing-compliance-csv",
    ),
    path(
        "licensing/contracts/<str:contract_number>/",
        ContractLicenceView.as_view(),
        name="licensing-contract-licence",
    ),
]
