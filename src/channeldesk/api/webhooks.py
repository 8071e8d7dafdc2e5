"""API endpoints: webhook subscriptions, their delivery history, the event types, and the
events themselves documented as OpenAPI webhooks (docs/webhooks.md).

- Reads (subscriptions, deliveries with their attempts, event types) are for partner users and
  vendor staff; `webhooks.selectors` decides which rows each sees: staff all, a partner user its
  own partner's subscriptions and their deliveries. Another partner's id answers 404.
- Writes (create, change, delete, pause, resume, rotate the secret, send a delivery again) are
  for channel managers and for partner admins (their own partner's subscriptions only); the
  support desk and other partner users only read (403).
- The signing secret is in the answer of create and rotate-secret only, never again.

Each event type is a webhook in the schema (`SPECTACULAR_SETTINGS["WEBHOOKS"]` lists
`webhook__<type with __ for .>` of this module): the envelope with the type's `data` model from
`webhooks.payloads`.
"""

from __future__ import annotations

from typing import Any, Literal

from django.conf import settings
from django.db.models import QuerySet
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiResponse,
    OpenApiWebhook,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from pydantic import BaseModel, create_model
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from channeldesk.api.errors import (
    DETAIL_ERRORS,
    LIST_ERRORS,
    READ_ERRORS,
    ApiError,
    error_response,
    validated,
    write_errors,
)
from channeldesk.api.permissions import IsPartnerUserOrVendorStaff
from channeldesk.api.viewsets import FilteredListViewSet, choice_filter, number_filter
from channeldesk.partners.models import Partner
from channeldesk.partners.selectors import AnyUser, membership_for_user
from channeldesk.webhooks.events import EVENT_TYPES, PAYLOAD_VERSION, Audience
from channeldesk.webhooks.models import (
    DeliveryStatus,
    SubscriptionStatus,
    WebhookDelivery,
    WebhookSubscription,
)
from channeldesk.webhooks.payloads import PAYLOADS, Envelope
from channeldesk.webhooks.review import webhook_delivery_release
from channeldesk.webhooks.selectors import (
    deliveries_filter,
    deliveries_visible_to,
    deliveries_with_attempts,
    subscriptions_filter,
    subscriptions_visible_to,
    subscriptions_with_health,
    user_may_manage_webhooks,
)
from channeldesk.webhooks.subscriptions import (
    SubscriptionForbidden,
    SubscriptionWithSecret,
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_pause,
    webhook_subscription_resume,
    webhook_subscription_rotate_secret,
    webhook_subscription_update,
)


class MayManageWebhooks(BasePermission):
    """Channel managers and partner admins; the support desk and other partner users read."""

    message = _(
        "Webhook subscriptions are managed by channel managers and partner admins; "
        "others may only read."
    )

    def has_permission(self, request: Request, view: Any) -> bool:
        return user_may_manage_webhooks(user=request.user)


WRITE_ERRORS = write_errors(
    forbidden="Not a channel manager or partner admin (or another partner was named).",
    not_found="No such subscription, or it belongs to another partner.",
    conflict="The subscription's state does not allow this; nothing was written.",
)
CREATE_ERRORS = {code: answer for code, answer in WRITE_ERRORS.items() if code not in (404, 409)}


# --- Subscriptions ------------------------------------------------------------------------------


class SubscriptionSerializer(serializers.ModelSerializer[WebhookSubscription]):
    """A subscription (never its secret) with how its deliveries go."""

    partner_number = serializers.SerializerMethodField(
        help_text="The partner whose events it receives; null: the vendor's, every partner's."
    )
    failing_count = serializers.IntegerField(
        read_only=True, help_text="Deliveries that are retrying or failed."
    )
    waiting_count = serializers.IntegerField(
        read_only=True, help_text="Deliveries waiting to be sent (pending or retrying)."
    )
    last_delivered_at = serializers.DateTimeField(read_only=True, allow_null=True)

    def get_partner_number(self, subscription: WebhookSubscription) -> str | None:
        return subscription.partner.partner_number if subscription.partner else None

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "name",
            "url",
            "event_types",
            "status",
            "paused_reason",
            "partner_number",
            "notify_email",
            "language",
            "created_at",
            "updated_at",
            "failing_count",
            "waiting_count",
            "last_delivered_at",
        ]
        read_only_fields = fields


class SubscriptionCreatedSerializer(SubscriptionSerializer):
    """A subscription with its signing secret: shown here once, never again."""

    secret = serializers.CharField(
        help_text="The signing secret (`whsec_…`): keep it now, it is not shown again."
    )

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]
        read_only_fields = fields


def _event_type_field(**options: Any) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.ChoiceField(choices=list(EVENT_TYPES)),
        allow_empty=False,
        max_length=len(EVENT_TYPES),
        help_text="The event types to receive (see `GET webhooks/event-types/`).",
        **options,
    )


LANGUAGE_CHOICES = settings.LANGUAGES
# The largest id a filter accepts: the databases' 64-bit integer (a larger one overflows SQLite).
MAX_ID = 2**63 - 1


class SubscriptionCreateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    url = serializers.URLField(
        max_length=2000, help_text="https:// (http:// only to loopback in development)."
    )
    event_types = _event_type_field()
    partner_number = serializers.CharField(
        max_length=32,
        required=False,
        allow_null=True,
        help_text=(
            "Only this partner's events (and programme events). Partner admins may leave it "
            "out: their own partner is always taken."
        ),
    )
    notify_email = serializers.EmailField(
        max_length=254,
        help_text="Told when the subscription is paused because its deliveries keep failing.",
    )
    language = serializers.ChoiceField(choices=LANGUAGE_CHOICES, default="de")


class SubscriptionUpdateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200, required=False)
    url = serializers.URLField(max_length=2000, required=False)
    event_types = _event_type_field(required=False)
    notify_email = serializers.EmailField(max_length=254, required=False)
    language = serializers.ChoiceField(choices=LANGUAGE_CHOICES, required=False)


class PauseSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(
        max_length=500, required=False, allow_blank=True, help_text="Why (shown with it)."
    )


class SubscriptionFilterSerializer(serializers.Serializer[Any]):
    status = choice_filter(SubscriptionStatus.choices, help_text="Only subscriptions like this.")
    partner_number = number_filter(help_text="Only this partner's subscriptions.")


def _partner_named(user: AnyUser, number: str | None) -> Partner | None:
    """The partner a new subscription names. A partner user naming any other partner is
    refused alike whether it exists or not, so nobody learns which partner numbers exist."""
    if not number:
        return None
    partner = Partner.objects.filter(partner_number=number).first()
    if partner is not None:
        return partner
    if membership_for_user(user=user) is not None:
        raise SubscriptionForbidden(
            str(_("A partner admin subscribes for its own partner only.")),
            code="partner_not_allowed",
        )
    raise ApiError(
        str(_("Unknown partner number.")),
        details=[{"field": "partner_number", "message": "unknown", "code": "unknown"}],
    )


READ_ACTIONS = {"list", "retrieve"}


@extend_schema_view(
    list=extend_schema(
        summary="List webhook subscriptions",
        description=(
            "Vendor staff see every subscription, a partner user its own partner's. With the "
            "number of failing and waiting deliveries."
        ),
        parameters=[SubscriptionFilterSerializer],
        responses={200: SubscriptionSerializer, **LIST_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One webhook subscription",
        responses={200: SubscriptionSerializer, **DETAIL_ERRORS},
    ),
    create=extend_schema(
        summary="Subscribe an endpoint to webhook events",
        description=(
            "The answer carries the signing secret, shown this once. A partner admin's "
            "subscription is always for its own partner."
        ),
        request=SubscriptionCreateSerializer,
        responses={201: SubscriptionCreatedSerializer, **CREATE_ERRORS},
    ),
    partial_update=extend_schema(
        summary="Change a webhook subscription",
        request=SubscriptionUpdateSerializer,
        responses={200: SubscriptionSerializer, **WRITE_ERRORS},
    ),
    destroy=extend_schema(
        summary="Delete a webhook subscription with its delivery history",
        responses={204: None, **WRITE_ERRORS},
    ),
)
class WebhookSubscriptionViewSet(
    mixins.RetrieveModelMixin, FilteredListViewSet[WebhookSubscription]
):
    serializer_class = SubscriptionSerializer
    filter_serializer_class = SubscriptionFilterSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_permissions(self) -> list[BasePermission]:
        if self.action in READ_ACTIONS:
            return [IsAuthenticated(), IsPartnerUserOrVendorStaff()]
        return [IsAuthenticated(), MayManageWebhooks()]

    def get_queryset(self) -> QuerySet[WebhookSubscription]:
        visible = subscriptions_visible_to(user=self.request.user)
        return subscriptions_with_health(subscriptions=visible)

    def filter_rows(
        self, rows: QuerySet[WebhookSubscription], **filters: Any
    ) -> QuerySet[WebhookSubscription]:
        return subscriptions_filter(subscriptions=rows, **filters)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(SubscriptionCreateSerializer, request.data)
        created = webhook_subscription_create(
            actor=request.user,
            name=data["name"],
            url=data["url"],
            event_types=data["event_types"],
            partner=_partner_named(request.user, data.get("partner_number")),
            notify_email=data["notify_email"],
            language=data["language"],
        )
        return self._answer_with_secret(created, status_code=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        subscription = self.get_object()
        data = validated(SubscriptionUpdateSerializer, request.data)
        webhook_subscription_update(actor=request.user, subscription=subscription, **data)
        return self._answer(subscription)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        webhook_subscription_delete(actor=request.user, subscription=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Pause a webhook subscription",
        description="Events still queue up for it and are sent once it is resumed.",
        request=PauseSerializer,
        responses={200: SubscriptionSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, pk: str) -> Response:
        subscription = self.get_object()
        data = validated(PauseSerializer, request.data)
        webhook_subscription_pause(
            actor=request.user, subscription=subscription, reason=data.get("reason", "")
        )
        return self._answer(subscription)

    @extend_schema(
        summary="Resume a paused webhook subscription",
        description="The deliveries that waited while it was paused are due at once.",
        request=None,
        responses={200: SubscriptionSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str) -> Response:
        subscription = self.get_object()
        webhook_subscription_resume(actor=request.user, subscription=subscription)
        return self._answer(subscription)

    @extend_schema(
        summary="Rotate a subscription's signing secret",
        description="The answer carries the new secret, shown this once; the old one stops.",
        request=None,
        responses={200: SubscriptionCreatedSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret", url_name="rotate-secret")
    def rotate_secret(self, request: Request, pk: str) -> Response:
        rotated = webhook_subscription_rotate_secret(
            actor=request.user, subscription=self.get_object()
        )
        return self._answer_with_secret(rotated, status_code=status.HTTP_200_OK)

    def _stored(self, subscription: WebhookSubscription) -> WebhookSubscription:
        """The subscription as stored now, read back through the caller's scope."""
        return self.get_queryset().get(pk=subscription.pk)

    def _answer(self, subscription: WebhookSubscription) -> Response:
        return Response(self.get_serializer(self._stored(subscription)).data)

    def _answer_with_secret(self, created: SubscriptionWithSecret, *, status_code: int) -> Response:
        stored = self.get_serializer(self._stored(created.subscription)).data
        return Response({**stored, "secret": created.secret}, status=status_code)


# --- Deliveries ---------------------------------------------------------------------------------


class AttemptSerializer(serializers.Serializer[Any]):
    at = serializers.DateTimeField()
    kind = serializers.CharField(help_text="delivered, retry, failed, expired, released, …")
    attempt = serializers.IntegerField()
    status_code = serializers.IntegerField(allow_null=True)
    latency_ms = serializers.IntegerField(allow_null=True)
    response_excerpt = serializers.CharField(help_text="The start of the receiver's answer.")
    detail = serializers.CharField()


class DeliverySerializer(serializers.ModelSerializer[WebhookDelivery]):
    """One event to one subscription, with its history of attempts."""

    subscription = serializers.IntegerField(source="subscription_id")
    event_id = serializers.CharField(source="event.event_id")
    event_type = serializers.CharField(source="event.type")
    event_version = serializers.IntegerField(source="event.version")
    occurred_at = serializers.DateTimeField(source="event.occurred_at")
    attempts = serializers.SerializerMethodField()

    @extend_schema_field(AttemptSerializer(many=True))
    def get_attempts(self, delivery: WebhookDelivery) -> list[dict[str, Any]]:
        history = getattr(delivery, "history", None)
        if history is None:
            history = list(delivery.attempts_made.order_by("at", "id"))
        return [AttemptSerializer(attempt).data for attempt in history]

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "subscription",
            "event_id",
            "event_type",
            "event_version",
            "occurred_at",
            "status",
            "created_at",
            "next_attempt_at",
            "delivered_at",
            "last_status_code",
            "last_latency_ms",
            "last_error",
            "attempts",
        ]
        read_only_fields = fields


class DeliveryFilterSerializer(serializers.Serializer[Any]):
    subscription = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text="Only this subscription's deliveries.",
    )
    status = choice_filter(DeliveryStatus.choices, help_text="Only deliveries in this status.")
    event_type = choice_filter(list(EVENT_TYPES), help_text="Only events of this type.")


class SendAgainSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(
        max_length=500, required=False, allow_blank=True, help_text="Kept in the history."
    )


@extend_schema_view(
    list=extend_schema(
        summary="List webhook deliveries, newest first, with their attempts",
        description="Vendor staff see every delivery, a partner user its own partner's.",
        parameters=[DeliveryFilterSerializer],
        responses={200: DeliverySerializer, **LIST_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One webhook delivery with its attempts",
        responses={200: DeliverySerializer, **DETAIL_ERRORS},
    ),
)
class WebhookDeliveryViewSet(mixins.RetrieveModelMixin, FilteredListViewSet[WebhookDelivery]):
    serializer_class = DeliverySerializer
    filter_serializer_class = DeliveryFilterSerializer

    def get_permissions(self) -> list[BasePermission]:
        if self.action in READ_ACTIONS:
            return [IsAuthenticated(), IsPartnerUserOrVendorStaff()]
        return [IsAuthenticated(), MayManageWebhooks()]

    def get_queryset(self) -> QuerySet[WebhookDelivery]:
        visible = deliveries_visible_to(user=self.request.user)
        return deliveries_with_attempts(deliveries=visible)

    def filter_rows(
        self, rows: QuerySet[WebhookDelivery], **filters: Any
    ) -> QuerySet[WebhookDelivery]:
        return deliveries_filter(deliveries=rows, **filters)

    @extend_schema(
        summary="Send a delivery again",
        description=(
            "Due at once, whatever its status (delivered, failed and dismissed ones too); the "
            "receiver gets the same `webhook-id` and dedupes. 409 while it is being sent."
        ),
        request=SendAgainSerializer,
        responses={
            200: DeliverySerializer,
            **WRITE_ERRORS,
            404: error_response("No such delivery, or it belongs to another partner."),
        },
    )
    @action(detail=True, methods=["post"], url_path="send-again", url_name="send-again")
    def send_again(self, request: Request, pk: str) -> Response:
        delivery = self.get_object()
        data = validated(SendAgainSerializer, request.data)
        webhook_delivery_release(
            delivery_id=delivery.pk, actor=request.user, note=data.get("note", "")
        )
        stored = self.get_queryset().get(pk=delivery.pk)
        return Response(self.get_serializer(stored).data)


# --- Event types --------------------------------------------------------------------------------


class EventTypeSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    audience = serializers.ChoiceField(
        choices=[item.value for item in Audience],
        help_text="partner: one partner's events; programme: every partner's.",
    )
    description = serializers.CharField()
    version = serializers.IntegerField(help_text="The payload version sent now.")


class WebhookEventTypesView(APIView):
    permission_classes = [IsAuthenticated, IsPartnerUserOrVendorStaff]

    @extend_schema(
        summary="The webhook event types one can subscribe to",
        description="Each type's payload is documented under `webhooks` in this schema.",
        responses={200: EventTypeSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        return Response(
            [
                {
                    "name": event.name,
                    "audience": event.audience.value,
                    "description": str(event.description),
                    "version": PAYLOAD_VERSION,
                }
                for event in EVENT_TYPES.values()
            ]
        )


router = SimpleRouter()
router.register(
    "webhooks/subscriptions", WebhookSubscriptionViewSet, basename="webhook-subscription"
)
router.register("webhooks/deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")

urlpatterns = [
    path("webhooks/event-types/", WebhookEventTypesView.as_view(), name="webhook-event-types"),
    *router.urls,
]


# --- The events as OpenAPI webhooks -------------------------------------------------------------

# The headers of every delivery (Standard Webhooks). drf-spectacular puts no parameters into a
# webhook, so the description names them.
SIGNATURE_HEADERS = (
    "Headers: `webhook-id` (the event's stable id, the body's `id`: dedupe by it), "
    "`webhook-timestamp` (seconds since 1970 when this attempt was signed) and "
    "`webhook-signature` (`v1,<base64 HMAC-SHA256>` of `<webhook-id>.<webhook-timestamp>.<body>` "
    "with the subscription's secret, Standard Webhooks: verify with a stock library)."
)


def envelope_model(event_type: str) -> type[BaseModel]:
    """The body a receiver gets for `event_type`: the envelope with the type's `data`."""
    payload = PAYLOADS[event_type]
    model: type[BaseModel] = create_model(  # type: ignore[call-overload]
        f"{payload.__name__}Event",
        __base__=Envelope,
        __doc__=str(EVENT_TYPES[event_type].description),
        type=(Literal[event_type], ...),  # type: ignore[arg-type,valid-type]
        data=(payload, ...),
    )
    return model


def webhook_schema(event_type: str) -> OpenApiWebhook:
    """The OpenAPI webhook of one event type."""
    return OpenApiWebhook(
        name=event_type,
        decorator=extend_schema(
            summary=str(EVENT_TYPES[event_type].description),
            description=(
                f"Sent as a signed POST to every subscription of `{event_type}`. Answer 2xx "
                "within the timeout; anything else is retried with backoff over about three "
                "days. The same event may arrive more than once (same `webhook-id`). "
                + SIGNATURE_HEADERS
            ),
            request=envelope_model(event_type),
            responses={
                200: OpenApiResponse(description="Received (any 2xx answer counts)."),
            },
        ),
    )


def webhook_attribute(event_type: str) -> str:
    """The name under which this module offers the webhook of `event_type` to the settings."""
    return "webhook__" + event_type.replace(".", "__")


WEBHOOK_SCHEMAS: dict[str, OpenApiWebhook] = {
    webhook_attribute(name): webhook_schema(name) for name in EVENT_TYPES
}


def __getattr__(name: str) -> OpenApiWebhook:
    """`SPECTACULAR_SETTINGS["WEBHOOKS"]` imports each webhook by its attribute name."""
    try:
        return WEBHOOK_SCHEMAS[name]
    except KeyError:
        raise AttributeError(name) from None
