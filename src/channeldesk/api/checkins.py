"""API endpoints for installations: activation and heartbeat batches (R12, docs/licensing.md).

Neither takes a login: the keycode is the credential, and a valid one cannot be guessed or forged
(see `licensing.keycodes`). Both are throttled with DRF's throttling, counted in the cache
`LICENSING_THROTTLE_CACHE`: activations per keycode and per address, heartbeat batches per
address. A throttled call answers 429 in the API's error format with `Retry-After`.

- `POST /api/v1/checkins/activate`: the answer says valid or invalid (typo, unknown, revoked,
  other_key, expired, contract_ended; activation_blocked where the product's licensing policy
  blocks new machines while under-licensed) and the licence state, signed with the vendor's
  Ed25519 key (`token`, verify with `licensing.certificates.token_verify(prefix="CDLA1")`).
  An invalid keycode is an answer (200), not an error: the product shows it to the user. A
  request that is not well-formed answers 400.
- `POST /api/v1/checkins/heartbeats`: up to LICENSING_HEARTBEAT_BATCH_MAX items, one result each
  (accepted, duplicate, unknown_keycode, rejected with a reason). A body that is not such a list
  answers 400 and nothing is written.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from channeldesk.api.documents import ActivationDocumentSerializer, HeartbeatsDocumentSerializer
from channeldesk.api.errors import ApiError, error_response, validated
from channeldesk.api.parsers import IngestJSONParser
from channeldesk.licensing.ingest import HASH, heartbeats_ingest
from channeldesk.licensing.keycodes import KeycodeFormatError, keycode_normalise
from channeldesk.licensing.services import ActivationRequest, installation_activate


class _LicensingThrottle(SimpleRateThrottle):
    """A rate from the licensing settings, counted in the licensing throttle cache."""

    setting = ""

    def __init__(self) -> None:
        self.cache = caches[settings.LICENSING_THROTTLE_CACHE]
        super().__init__()

    def get_rate(self) -> str | None:
        rate: str = getattr(settings, self.setting)
        return rate

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        ident = self.ident_value(request)
        return None if ident is None else self.cache_format % {"scope": self.scope, "ident": ident}

    def ident_value(self, request: Request) -> str | None:
        return self.get_ident(request)


class ActivationPerAddress(_LicensingThrottle):
    scope = "checkin-activate-address"
    setting = "LICENSING_ACTIVATE_RATE_PER_ADDRESS"


class ActivationPerKeycode(_LicensingThrottle):
    scope = "checkin-activate-keycode"
    setting = "LICENSING_ACTIVATE_RATE_PER_KEYCODE"

    def ident_value(self, request: Request) -> str | None:
        code = request.data.get("keycode") if isinstance(request.data, dict) else None
        if not isinstance(code, str):
            return None
        try:
            return keycode_normalise(code)
        except KeycodeFormatError:
            return None  # a typo is answered cheaply; the address throttle still counts it


class HeartbeatsPerAddress(_LicensingThrottle):
    scope = "checkin-heartbeats-address"
    setting = "LICENSING_HEARTBEAT_RATE_PER_ADDRESS"


class HashField(serializers.RegexField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(HASH.pattern, **kwargs)


class ActivationSerializer(serializers.Serializer):
    keycode = serializers.CharField(max_length=64, help_text="The keycode as the user typed it.")
    installation_id = serializers.UUIDField(help_text="A UUID the installation made itself.")
    fingerprint = HashField(help_text="Hash of the hardware fingerprint (16–64 hex digits).")
    hostname_hash = HashField(required=False, allow_blank=True, default="")
    product_version = serializers.CharField(max_length=32)
    nonce = serializers.CharField(
        max_length=64, required=False, allow_blank=True, default="", help_text="Echoed, signed."
    )


class ActivateView(APIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    # JSON only: anyone may call this, so no multipart upload is ever spooled for it.
    parser_classes = [JSONParser]
    throttle_classes = [ActivationPerAddress, ActivationPerKeycode]

    @extend_schema(
        summary="Activate an installation: a signed answer says valid or why not",
        request=ActivationSerializer,
        responses={
            200: OpenApiResponse(
                ActivationDocumentSerializer,
                description="`answer` and the same signed as `token`.",
            ),
            400: error_response("The request is not well-formed."),
            429: error_response("Too many activations from this address or for this keycode."),
        },
    )
    def post(self, request: Request) -> Response:
        data = validated(ActivationSerializer, request.data)
        answer = installation_activate(
            request=ActivationRequest(
                keycode=data["keycode"],
                installation_uuid=data["installation_id"],
                fingerprint=data["fingerprint"].lower(),
                hostname_hash=data["hostname_hash"].lower(),
                product_version=data["product_version"],
                nonce=data["nonce"],
            )
        )
        return Response({"answer": answer.content, "token": answer.token})


class HeartbeatsView(APIView):
    """Parses the JSON itself (one `json.loads`) and checks items in the ingest, not with a
    serializer per item: 10,000 serializer runs would cost more than the database."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    parser_classes = [IngestJSONParser]
    throttle_classes = [HeartbeatsPerAddress]

    @extend_schema(
        summary="A batch of heartbeats (up to 10,000), one result per item",
        request={
            "application/json": {
                "type": "object",
                "properties": {"heartbeats": {"type": "array", "items": {"type": "object"}}},
            }
        },
        responses={
            200: OpenApiResponse(
                HeartbeatsDocumentSerializer, description="`counts` and one result per item."
            ),
            400: error_response("Not a list of heartbeats, or too many."),
            429: error_response("Too many batches from this address."),
        },
    )
    def post(self, request: Request) -> Response:
        items = request.data.get("heartbeats") if isinstance(request.data, dict) else None
        if not isinstance(items, list) or not items:
            raise ApiError(
                'Send {"heartbeats": [...]} with at least one item.',
                details=[{"field": "heartbeats", "message": "a non-empty list", "code": "invalid"}],
            )
        limit = settings.LICENSING_HEARTBEAT_BATCH_MAX
        if len(items) > limit:
            raise ApiError(
                f"At most {limit} heartbeats per batch; this one has {len(items)}.",
                code="batch_too_large",
                details=[{"field": "heartbeats", "message": f"at most {limit}", "code": "max"}],
            )
        result = heartbeats_ingest(items=items)
        return Response(result.as_dict(), status=status.HTTP_200_OK)


urlpatterns = [
    path("activate", ActivateView.as_view(), name="checkin-activate"),
    path("heartbeats", HeartbeatsView.as_view(), name="checkin-heartbeats"),
]
