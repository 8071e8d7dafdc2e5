"""API: routing support calls (R8, R9).

`GET /api/v1/support/route?partner_number=P100042` or `?caller=+4989123456` answers the phone
system (service token of scope `support`, which opens nothing else) and the support desk: the
partner, its current tier, the hotline that tier uses and the queue priority. An unknown caller
gets the entry tier's line; a caller number that is no telephone number is a 400.
"""

from __future__ import annotations

from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channeldesk.api.authentication import HasServiceScope
from channeldesk.api.documents import SupportRouteSerializer
from channeldesk.api.errors import ApiError
from channeldesk.api.permissions import IsVendorStaff
from channeldesk.core.models import TokenScope
from channeldesk.tiers.hotlines import support_route


class SupportRouteView(APIView):
    permission_classes = [
        HasServiceScope.for_scope(TokenScope.SUPPORT) | (IsAuthenticated & IsVendorStaff)
    ]

    @extend_schema(
        parameters=[
            OpenApiParameter("partner_number", str, description="The partner number, if known."),
            OpenApiParameter("caller", str, description="The caller's number, e.g. +4989123456."),
        ],
        responses={200: SupportRouteSerializer},
        summary="Route a support call: partner, tier, hotline, priority",
        tags=["support"],
    )
    def get(self, request: Request) -> Response:
        partner_number = request.query_params.get("partner_number", "").strip()
        caller = request.query_params.get("caller", "").strip()
        if not partner_number and not caller:
            raise ApiError(
                "Give partner_number or caller.",
                code="invalid",
                details=[{"field": "caller", "message": "partner_number or caller is required."}],
            )
        route = support_route(
            on=timezone.localdate(), partner_number=partner_number or None, caller=caller or None
        )
        return Response(route.as_dict())


urlpatterns = [path("route/", SupportRouteView.as_view(), name="support-route")]
