"""API endpoints of the tier programme: policies, evaluation, simulation, calibration, applying,
overrides, and each partner's current tier with its reasons.

Answers are the same documents the CLI prints with `--format json` (`channeldesk.tiers.reports`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channeldesk.api.documents import (
    ApplyDocumentSerializer,
    CalibrationDocumentSerializer,
    EvaluationDocumentSerializer,
    OverrideDocumentSerializer,
    PartnerTierDocumentSerializer,
    PolicyDocumentSerializer,
    SimulationDocumentSerializer,
)
from channeldesk.api.errors import ApiError, error_response, validated
from channeldesk.api.pagination import MAX_OFFSET, page_window
from channeldesk.api.partners import PartnerDocumentView
from channeldesk.api.permissions import IsChannelManager, IsPartnerUserOrVendorStaff, IsVendorStaff
from channeldesk.partners.models import Partner
from channeldesk.partners.selectors import user_is_vendor_staff
from channeldesk.tiers import reports
from channeldesk.tiers.calibration import tiers_calibrate
from channeldesk.tiers.evaluation import tiers_evaluate
from channeldesk.tiers.hotlines import hotline_for_partner
from channeldesk.tiers.models import PolicyStatus, TierPolicy
from channeldesk.tiers.selectors import PolicyNotFound, policy_get, tier_current, tier_history
from channeldesk.tiers.services import (
    tier_override_create,
    tier_policy_publish,
    tiers_apply,
)
from channeldesk.tiers.simulation import tiers_simulate

Document = dict[str, Any]


NO_POLICY = {404: error_response("No such tier policy (or, for a partner, not visible).")}
INCOMPLETE = {
    409: error_response("The policy has no tiers yet, or a criterion of a kind not known here.")
}
TIER_RULE = {409: error_response("The programme's rules do not allow this; nothing was written.")}


def _policy(reference: str, queryset: QuerySet[TierPolicy] | None = None) -> TierPolicy:
    """The policy named by `reference`; 404 for no such policy, or one `queryset` hides."""
    policy = policy_get(reference=reference)
    if queryset is not None and not queryset.filter(pk=policy.pk).exists():
        raise PolicyNotFound(f"No tier policy '{reference}'.")
    return policy


def policies_visible_to(user: Any) -> QuerySet[TierPolicy]:
    """Staff see every policy; partners see published ones and drafts open for feedback (R3)."""
    policies = TierPolicy.objects.all()
    if user_is_vendor_staff(user=user):
        return policies
    return policies.filter(Q(status=PolicyStatus.PUBLISHED) | Q(is_open_for_feedback=True))


class PolicyReferenceSerializer(serializers.Serializer):
    policy = serializers.CharField(help_text="CODE or CODE@VERSION, e.g. default or default@2")
    as_of = serializers.DateField(required=False, help_text="Default: today (Europe/Berlin).")


class TargetSerializer(serializers.Serializer):
    min = serializers.IntegerField(min_value=0)
    max = serializers.IntegerField(min_value=0)

    def validate(self, attrs: dict[str, int]) -> dict[str, int]:
        if attrs["min"] > attrs["max"]:
            raise serializers.ValidationError("min must not be greater than max.")
        return attrs


class CalibrateSerializer(PolicyReferenceSerializer):
    targets = serializers.DictField(child=TargetSerializer(), required=False, default=dict)
    save_draft = serializers.BooleanField(
        required=False, default=True, help_text="Save the result as a new draft version."
    )


class PublishSerializer(serializers.Serializer):
    effective_from = serializers.DateField()


class OverrideSerializer(serializers.Serializer):
    partner_number = serializers.CharField()
    tier = serializers.SlugField()
    reason = serializers.CharField()
    valid_from = serializers.DateField(required=False)
    valid_until = serializers.DateField(required=False, allow_null=True)


def _as_of(data: dict[str, Any]) -> dt.date:
    return data.get("as_of") or timezone.localdate()


class PolicyListView(APIView):
    permission_classes = [IsAuthenticated, IsPartnerUserOrVendorStaff]

    @extend_schema(
        responses={200: PolicyDocumentSerializer(many=True)},
        summary="Tier policies",
        operation_id="tiers_policies_list",
    )
    def get(self, request: Request) -> Response:
        policies = policies_visible_to(request.user).order_by("code", "version")
        return Response([reports.policy_document(policy) for policy in policies])


class PolicyDetailView(APIView):
    permission_classes = [IsAuthenticated, IsPartnerUserOrVendorStaff]

    @extend_schema(
        responses={200: PolicyDocumentSerializer, **NO_POLICY}, summary="One tier policy"
    )
    def get(self, request: Request, reference: str) -> Response:
        policy = _policy(reference, policies_visible_to(request.user))
        return Response(reports.policy_document(policy))


class PolicyPublishView(APIView):
    permission_classes = [IsAuthenticated, IsChannelManager]

    @extend_schema(
        request=PublishSerializer,
        responses={200: PolicyDocumentSerializer, **NO_POLICY, **TIER_RULE},
        summary="Publish a draft policy with its effective date",
    )
    def post(self, request: Request, reference: str) -> Response:
        data = validated(PublishSerializer, request.data)
        policy = _policy(reference)
        policy = tier_policy_publish(policy=policy, effective_from=data["effective_from"])
        return Response(reports.policy_document(policy))


class EvaluateView(APIView):
    """Every partner's tier under a policy (nothing is stored), a page of partners at a time."""

    permission_classes = [IsAuthenticated, IsVendorStaff]

    @extend_schema(
        parameters=[
            OpenApiParameter("policy", str, required=True),
            OpenApiParameter("as_of", OpenApiTypes.DATE),
            OpenApiParameter("partner_number", str, many=True),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": settings.API_MAX_PAGE_SIZE},
                description="Partners per page (default and most: API_MAX_PAGE_SIZE).",
            ),
            OpenApiParameter("offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET}),
        ],
        responses={200: EvaluationDocumentSerializer, **NO_POLICY, **INCOMPLETE},
        summary="Evaluate a policy",
    )
    def get(self, request: Request) -> Response:
        limit, offset = page_window(request, default_limit=settings.API_MAX_PAGE_SIZE)
        data = validated(PolicyReferenceSerializer, request.query_params)
        policy = _policy(data["policy"])
        numbers = request.query_params.getlist("partner_number")
        partner_ids = None
        if numbers:
            partner_ids = list(
                Partner.objects.filter(partner_number__in=numbers).values_list("id", flat=True)
            )
        evaluation = tiers_evaluate(policy=policy, as_of=_as_of(data), partner_ids=partner_ids)
        document = reports.evaluation_document(evaluation)
        document["partner_count"] = len(evaluation.decisions)
        document["partners"] = [
            decision.as_dict() for decision in evaluation.decisions[offset : offset + limit]
        ]
        return Response(document)


class SimulateView(APIView):
    permission_classes = [IsAuthenticated, IsVendorStaff]

    @extend_schema(
        request=PolicyReferenceSerializer,
        responses={200: SimulationDocumentSerializer, **NO_POLICY, **INCOMPLETE},
        summary="Preview a policy: counts, movers, discount cost",
    )
    def post(self, request: Request) -> Response:
        data = validated(PolicyReferenceSerializer, request.data)
        simulation = tiers_simulate(policy=_policy(data["policy"]), as_of=_as_of(data))
        return Response(reports.simulation_document(simulation))


class CalibrateView(APIView):
    permission_classes = [IsAuthenticated, IsChannelManager]

    @extend_schema(
        request=CalibrateSerializer,
        responses={200: CalibrationDocumentSerializer, **NO_POLICY, **INCOMPLETE},
        summary="Find thresholds that meet target tier counts",
    )
    def post(self, request: Request) -> Response:
        data = validated(CalibrateSerializer, request.data)
        targets = {code: (span["min"], span["max"]) for code, span in data["targets"].items()}
        calibration = tiers_calibrate(
            policy=_policy(data["policy"]),
            as_of=_as_of(data),
            targets=targets,
            save=data["save_draft"],
        )
        return Response(reports.calibration_document(calibration))


class ApplyView(APIView):
    permission_classes = [IsAuthenticated, IsChannelManager]

    @extend_schema(
        request=PolicyReferenceSerializer,
        responses={200: ApplyDocumentSerializer, **NO_POLICY, **TIER_RULE},
        summary="Record a published policy's evaluation as tier assignments",
    )
    def post(self, request: Request) -> Response:
        data = validated(PolicyReferenceSerializer, request.data)
        policy = _policy(data["policy"])
        result = tiers_apply(policy=policy, as_of=data.get("as_of"), actor=request.user)
        return Response(reports.apply_document(result))


class OverrideView(APIView):
    permission_classes = [IsAuthenticated, IsChannelManager]

    @extend_schema(
        request=OverrideSerializer,
        responses={201: OverrideDocumentSerializer, **NO_POLICY, **TIER_RULE},
        summary="Set a partner's tier by hand until a date",
    )
    def post(self, request: Request) -> Response:
        data = validated(OverrideSerializer, request.data)
        partner = Partner.objects.filter(partner_number=data["partner_number"]).first()
        if partner is None:
            raise ApiError(
                f"No partner {data['partner_number']}.", code="not_found", status_code=404
            )
        override = tier_override_create(
            partner=partner,
            tier_code=data["tier"],
            reason=data["reason"],
            valid_from=data.get("valid_from") or timezone.localdate(),
            valid_until=data.get("valid_until"),
            actor=request.user,
        )
        return Response(
            {
                "partner_number": partner.partner_number,
                "tier": override.tier_code,
                "reason": override.reason,
                "valid_from": override.valid_from.isoformat(),
                "valid_until": override.valid_until.isoformat() if override.valid_until else None,
            },
            status=201,
        )


@extend_schema(
    responses={200: PartnerTierDocumentSerializer}, summary="A partner's tier and history"
)
class PartnerTierView(PartnerDocumentView):
    """A partner's tier today, its discount and reasons, and the whole history."""

    def document(self, partner: Partner, *, today: dt.date) -> Document:
        current = tier_current(partner=partner, on=today)
        return {
            "partner_number": partner.partner_number,
            "on": today.isoformat(),
            "current": None
            if current is None
            else {
                "tier": current.tier_code,
                "name_de": current.tier_name_de,
                "name_en": current.tier_name_en,
                "discount_percent": reports.number(current.discount_percent),
                "policy": current.policy_reference,
                "valid_from": current.valid_from.isoformat(),
                "valid_to": current.valid_to.isoformat() if current.valid_to else None,
                "source": current.source,
                "reasons": current.reasons,
            },
            "hotline": _hotline(partner, today),
            "history": [
                {
                    "tier": assignment.tier.code,
                    "policy": assignment.policy.reference,
                    "discount_percent": reports.number(assignment.tier.discount_percent),
                    "valid_from": assignment.valid_from.isoformat(),
                    "valid_to": assignment.valid_to.isoformat() if assignment.valid_to else None,
                    "source": assignment.source,
                }
                for assignment in tier_history(partner=partner)
            ],
        }


def _hotline(partner: Partner, on: dt.date) -> dict[str, Any] | None:
    """The support line the partner calls today (its tier's, else the entry tier's)."""
    line = hotline_for_partner(partner=partner, on=on)
    if line is None:
        return None
    return {**line.as_dict(), "tier": line.tier_code, "priority": line.priority}


urlpatterns = [
    path("policies/", PolicyListView.as_view(), name="tiers-policies"),
    path("policies/<str:reference>/", PolicyDetailView.as_view(), name="tiers-policy"),
    path("policies/<str:reference>/publish/", PolicyPublishView.as_view(), name="tiers-publish"),
    path("evaluate/", EvaluateView.as_view(), name="tiers-evaluate"),
    path("simulate/", SimulateView.as_view(), name="tiers-simulate"),
    path("calibrate/", CalibrateView.as_view(), name="tiers-calibrate"),
    path("apply/", ApplyView.as_view(), name="tiers-apply"),
    path("overrides/", OverrideView.as_view(), name="tiers-overrides"),
    path("partners/<str:partner_number>/", PartnerTierView.as_view(), name="tiers-partner"),
]
