"""The schemas of the JSON documents the API answers with outside a model's serializer.

The tiers endpoints answer with the documents of `tiers.reports` (the CLI's `--format json`
writes the same), the support route with `SupportRoute.as_dict()`, the training endpoint with
its own. These serializers only document them in the OpenAPI schema: the views build the
documents as they always did, so documenting them cannot change an answer.

`AMOUNT` is `tiers.reports.number()`: a whole number as a JSON number, an amount with cents as
an exact string.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers


@extend_schema_field({"anyOf": [{"type": "integer"}, {"type": "string"}], "nullable": True})
class AmountField(serializers.Field[Any, Any, Any, Any]):
    """A whole number (JSON number) or an amount with cents (exact string), or null."""


def _text(**options: Any) -> serializers.CharField:
    return serializers.CharField(**options)


def _texts(*names: str) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
    """Plain text fields of these names."""
    return {name: _text() for name in names}


def _day(**options: Any) -> serializers.DateField:
    return serializers.DateField(**options)


def _span(name: str) -> serializers.Serializer[Any]:
    """A target number of partners, `{"min", "max"}`, or null when the tier has none."""
    return inline_serializer(
        name=name,
        fields={
            "min": serializers.IntegerField(allow_null=True),
            "max": serializers.IntegerField(allow_null=True),
        },
        allow_null=True,
    )


REASONS = serializers.ListField(
    child=serializers.DictField(),
    help_text="Criterion by criterion: tier, criterion, measured, threshold, comparison, holds.",
)

# --- Policies -----------------------------------------------------------------------------------


class PolicyDocumentSerializer(serializers.Serializer[Any]):
    """A tier policy with its tiers (highest rank first) and their criteria."""

    policy = _text(help_text="CODE@VERSION")
    code = _text()
    version = serializers.IntegerField()
    name = _text()
    status = _text(help_text="draft or published")
    effective_from = _day(allow_null=True)
    evaluation_period = _text()
    open_for_feedback = serializers.BooleanField()
    tiers = inline_serializer(
        name="PolicyTier",
        many=True,
        fields={
            "code": _text(),
            "rank": serializers.IntegerField(),
            **_texts("name_de", "name_en"),
            "discount_percent": AmountField(),
            "target": _span("PolicyTierTarget"),
            "criteria": inline_serializer(
                name="PolicyCriterion",
                many=True,
                fields={
                    "kind": _text(),
                    "threshold": AmountField(),
                    "parameters": serializers.JSONField(),
                    "calibrated": serializers.BooleanField(),
                },
            ),
        },
    )


# --- Evaluations, simulations, calibrations, applications ---------------------------------------

_PERIOD: dict[str, serializers.Field[Any, Any, Any, Any]] = {
    "start": _day(),
    "end": _day(help_text="The last day."),
}
_MOVER = inline_serializer(
    name="TierMover",
    many=True,
    fields={
        "partner_number": _text(),
        "from": _text(allow_null=True),
        "to": _text(),
        "direction": _text(help_text="up, down, unchanged or new"),
    },
)
_COUNTS = serializers.DictField(child=serializers.IntegerField(), help_text="Partners per tier.")
_EVALUATION: dict[str, serializers.Field[Any, Any, Any, Any]] = {
    "policy": _text(),
    "as_of": _day(),
    "evaluation_period": inline_serializer(
        name="EvaluationPeriod",
        fields={**_PERIOD, "partial": serializers.BooleanField()},
    ),
    "counts": _COUNTS,
    "previous_counts": _COUNTS,
    "directions": serializers.DictField(
        child=serializers.IntegerField(), help_text="up, down, unchanged, new"
    ),
    "thresholds": serializers.DictField(
        child=inline_serializer(
            name="TierThreshold",
            many=True,
            fields={
                "criterion": _text(),
                "threshold": AmountField(),
                "comparison": _text(),
                "months": serializers.IntegerField(allow_null=True),
            },
        ),
        help_text="Per tier code.",
    ),
    "movers": _MOVER,
}

EvaluationDocumentSerializer = inline_serializer(
    name="EvaluationDocument",
    fields={
        **_EVALUATION,
        "partner_count": serializers.IntegerField(help_text="All partners evaluated."),
        "partners": inline_serializer(
            name="TierDecision",
            many=True,
            help_text="This page of them (`limit`, `offset`).",
            fields={
                **_texts("partner_number", "tier"),
                "previous_tier": _text(allow_null=True),
                "reasons": REASONS,
            },
        ),
    },
)

SimulationDocumentSerializer = inline_serializer(
    name="SimulationDocument",
    fields={
        **_EVALUATION,
        "cost_window": inline_serializer(name="CostWindow", fields=_PERIOD),
        "tiers": inline_serializer(
            name="SimulatedTier",
            many=True,
            fields={
                **_texts("code", "name_de", "name_en"),
                "discount_percent": AmountField(),
                "current": serializers.IntegerField(),
                "projected": serializers.IntegerField(),
                "target": _span("SimulatedTierTarget"),
                "within_target": serializers.BooleanField(allow_null=True),
                **_texts("discount_cost_current", "discount_cost_projected"),
            },
        ),
        "discount_cost": inline_serializer(
            name="DiscountCost",
            fields={
                **_texts("current", "projected", "change", "currency"),
            },
        ),
    },
)

CalibrationDocumentSerializer = inline_serializer(
    name="CalibrationDocument",
    fields={
        "policy": _text(),
        "as_of": _day(),
        "evaluation_period": inline_serializer(
            name="CalibrationPeriod",
            fields={**_PERIOD, "partial": serializers.BooleanField()},
        ),
        "met": serializers.BooleanField(),
        "counts": _COUNTS,
        "draft": _text(allow_null=True, help_text="The saved draft, CODE@VERSION."),
        "tiers": inline_serializer(
            name="CalibratedTier",
            many=True,
            fields={
                "tier": _text(),
                "criterion": _text(allow_null=True),
                "threshold_before": AmountField(),
                "threshold": AmountField(),
                "target": _span("CalibratedTierTarget"),
                "count": serializers.IntegerField(),
                "met": serializers.BooleanField(),
                "message": _text(),
                "nearest": inline_serializer(
                    name="NearestPartner",
                    many=True,
                    fields={
                        "partner_number": _text(),
                        "value": AmountField(),
                        "side": _text(help_text="in (just made it) or out (just missed)"),
                    },
                ),
            },
        ),
    },
)

ApplyDocumentSerializer = inline_serializer(
    name="ApplyDocument",
    fields={
        "policy": _text(),
        "valid_from": _day(),
        "created": serializers.IntegerField(),
        "corrected": serializers.IntegerField(),
        "unchanged": serializers.IntegerField(),
        "movers": _MOVER,
    },
)

OverrideDocumentSerializer = inline_serializer(
    name="OverrideDocument",
    fields={
        **_texts("partner_number", "tier", "reason"),
        "valid_from": _day(),
        "valid_until": _day(allow_null=True),
    },
)

# --- A partner's tier, support lines --------------------------------------------------------------

_HOTLINE: dict[str, serializers.Field[Any, Any, Any, Any]] = {
    "number": _text(help_text="E.164, or empty when the tier has none."),
    **_texts("display_de", "display_en", "hours_de", "hours_en"),
    "callback_minutes": serializers.IntegerField(allow_null=True),
}

PartnerTierDocumentSerializer = inline_serializer(
    name="PartnerTierDocument",
    fields={
        "partner_number": _text(),
        "on": _day(),
        "current": inline_serializer(
            name="PartnerTierCurrent",
            allow_null=True,
            fields={
                **_texts("tier", "name_de", "name_en"),
                "discount_percent": AmountField(),
                "policy": _text(),
                "valid_from": _day(),
                "valid_to": _day(allow_null=True),
                "source": _text(),
                "reasons": serializers.ListField(child=serializers.DictField(), allow_null=True),
            },
        ),
        "hotline": inline_serializer(
            name="PartnerHotline",
            allow_null=True,
            fields={**_HOTLINE, "tier": _text(), "priority": serializers.IntegerField()},
        ),
        "history": inline_serializer(
            name="PartnerTierHistory",
            many=True,
            fields={
                **_texts("tier", "policy"),
                "discount_percent": AmountField(),
                "valid_from": _day(),
                "valid_to": _day(allow_null=True),
                "source": _text(),
            },
        ),
    },
)

SupportRouteSerializer = inline_serializer(
    name="SupportRoute",
    fields={
        "known": serializers.BooleanField(),
        "matched_by": _text(allow_null=True, help_text="partner_number, caller or null."),
        "partner": inline_serializer(
            name="SupportRoutePartner",
            allow_null=True,
            fields={"partner_number": _text(), "name": _text()},
        ),
        "tier": inline_serializer(
            name="SupportRouteTier",
            allow_null=True,
            fields={"code": _text(), "name_de": _text(), "name_en": _text()},
        ),
        "hotline": inline_serializer(name="SupportHotline", allow_null=True, fields=_HOTLINE),
        "priority": serializers.IntegerField(allow_null=True),
    },
)

# --- Training -------------------------------------------------------------------------------------

PartnerTrainingDocumentSerializer = inline_serializer(
    name="PartnerTrainingDocument",
    fields={
        "partner_number": _text(),
        "on": _day(),
        "records": inline_serializer(
            name="TrainingRecord",
            many=True,
            fields={
                **_texts("record_id", "participant", "email", "course"),
                "session_date": _day(),
                "status": _text(),
                "valid_until": _day(allow_null=True),
                "valid": serializers.BooleanField(),
            },
        ),
        "policy": _text(allow_null=True, help_text="The policy in force, CODE@VERSION."),
        "requirements": inline_serializer(
            name="TrainingRequirement",
            many=True,
            fields={
                **_texts("tier", "course", "course_name_de", "course_name_en"),
                "people_required": serializers.IntegerField(),
                "people_counted": serializers.IntegerField(),
                "holds": serializers.BooleanField(),
            },
        ),
    },
)

# --- Licensing and check-ins ----------------------------------------------------------------------

KeycodeCheckDocumentSerializer = inline_serializer(
    name="KeycodeCheckDocument",
    fields={
        "valid": serializers.BooleanField(),
        "reason": _text(
            allow_null=True,
            help_text="typo, unknown, revoked, other_key, expired, contract_ended; null if valid.",
        ),
        "message": _text(),
        "contract_number": _text(allow_null=True),
        "status": _text(allow_null=True, help_text="The keycode's status, if there is one."),
    },
)

CertificateDocumentSerializer = inline_serializer(
    name="CertificateDocument",
    fields={
        "certificate": _text(help_text="The signed token."),
        "content": serializers.JSONField(help_text="What the token signs."),
        "key_id": _text(),
        "public_key": _text(help_text="Base64 of the 32 raw bytes of the Ed25519 key."),
        "valid_until": _day(),
    },
)

PublicKeyDocumentSerializer = inline_serializer(
    name="PublicKeyDocument",
    fields={
        "algorithm": _text(help_text="Ed25519"),
        "key_id": _text(),
        "public_key": _text(help_text="Base64 of the 32 raw bytes."),
    },
)

ActivationDocumentSerializer = inline_serializer(
    name="ActivationDocument",
    fields={
        "answer": serializers.DictField(help_text="Valid or why not, and the licence state."),
        "token": _text(help_text="The same answer, signed (prefix CDLA1)."),
    },
)

HeartbeatsDocumentSerializer = inline_serializer(
    name="HeartbeatsDocument",
    fields={
        "counts": serializers.DictField(child=serializers.IntegerField()),
        "results": inline_serializer(
            name="HeartbeatResult",
            many=True,
            fields={
                "index": serializers.IntegerField(help_text="The item's position, from 0."),
                "status": _text(help_text="accepted, duplicate, unknown_keycode or rejected"),
                "reason": _text(allow_null=True),
            },
        ),
    },
)
