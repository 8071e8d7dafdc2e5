"""The two tier policies that exist right after `migrate` (R2, R5, R6).

`previous` is the programme before the change: Gold 30 %, Silver 25 %, no third tier. It is
published and in force from 2000-01-01 so that today's tiers have a policy to belong to.

`default` reproduces the seed's plan as a draft: Gold 35 %, Silver 25 % and the new entry tier
"Autorisierter Partner" at 20 %. Whoever ordered at most once in the evaluation half-year, or only
bought retail products, lands in the entry tier; Gold and Silver are split by revenue (to be
calibrated to the targets Gold 60–75 and Silver 200–250) and order count. Gold requires the
two-day course of the training company, Silver the half-day course (R7; the two-day course
qualifies for Silver too).

Every tier has its own support hotline (R8, R9), with opening hours, the call-back time of its
service level and the priority the phone system queues its calls with (1 = highest). The numbers
are the demo's (Berlin, +49 30 1234 56x0).
"""

from decimal import Decimal
from typing import Any

PREVIOUS: dict[str, Any] = {
    "code": "previous",
    "name": "Partner programme until 2005 (Gold / Silver)",
    "name_de": "Bisheriges Partnerprogramm (Gold / Silber)",
    "name_en": "Previous partner programme (Gold / Silver)",
    "status": "published",
    "effective_from": "2000-01-01",
    "tiers": [
        {
            "code": "gold",
            "rank": 2,
            "name_de": "Gold-Partner",
            "name_en": "Gold Partner",
            "discount_percent": Decimal("30.00"),
            "criteria": [
                {"kind": "revenue", "threshold": Decimal("25000"), "parameters": {"months": 12}},
            ],
        },
        {
            "code": "silver",
            "rank": 1,
            "name_de": "Silber-Partner",
            "name_en": "Silver Partner",
            "discount_percent": Decimal("25.00"),
            "criteria": [],
        },
    ],
}

DEFAULT: dict[str, Any] = {
    "code": "default",
    "name": "Three-tier partner programme (Gold / Silver / Authorised)",
    "name_de": "Partnerprogramm mit drei Stufen (Gold / Silber / Autorisiert)",
    "name_en": "Three-tier partner programme (Gold / Silver / Authorised)",
    "status": "draft",
    "effective_from": None,
    "tiers": [
        {
            "code": "gold",
            "rank": 3,
            "name_de": "Gold-Partner",
            "name_en": "Gold Partner",
            "discount_percent": Decimal("35.00"),
            "target_min": 60,
            "target_max": 75,
            "criteria": [
                {"kind": "orders", "threshold": Decimal(4)},
                {"kind": "beyond_retail"},
                {
                    "kind": "revenue",
                    "threshold": Decimal("50000"),
                    "parameters": {"months": 12},
                    "is_calibrated": True,
                },
            ],
        },
        {
            "code": "silver",
            "rank": 2,
            "name_de": "Silber-Partner",
            "name_en": "Silver Partner",
            "discount_percent": Decimal("25.00"),
            "target_min": 200,
            "target_max": 250,
            "criteria": [
                {"kind": "orders", "threshold": Decimal(2)},
                {"kind": "beyond_retail"},
                {
                    "kind": "revenue",
                    "threshold": Decimal("10000"),
                    "parameters": {"months": 12},
                    "is_calibrated": True,
                },
            ],
        },
        {
            "code": "authorized",
            "rank": 1,
            "name_de": "Autorisierter Partner",
            "name_en": "Authorised Partner",
            "discount_percent": Decimal("20.00"),
            "criteria": [],
        },
    ],
}

GOLD_COURSE = "CD-GOLD-2D"
SILVER_COURSE = "CD-SILVER-HD"

HOTLINES: dict[str, dict[str, Any]] = {
    "gold": {
        "hotline_phone": "+493012345610",
        "hotline_hours_de": "Mo–Fr 7–20 Uhr, Sa 9–14 Uhr",
        "hotline_hours_en": "Mon–Fri 07:00–20:00, Sat 09:00–14:00",
        "callback_minutes": 30,
        "support_priority": 1,
    },
    "silver": {
        "hotline_phone": "+493012345620",
        "hotline_hours_de": "Mo–Fr 8–18 Uhr",
        "hotline_hours_en": "Mon–Fri 08:00–18:00",
        "callback_minutes": 120,
        "support_priority": 2,
    },
    "authorized": {
        "hotline_phone": "+493012345630",
        "hotline_hours_de": "Mo–Fr 9–17 Uhr",
        "hotline_hours_en": "Mon–Fri 09:00–17:00",
        "callback_minutes": 480,
        "support_priority": 3,
    },
}

# The training each tier of `default` requires: tier code → course code (one person).
TRAINING_REQUIREMENTS = {"gold": GOLD_COURSE, "silver": SILVER_COURSE}


def training_criterion(course: str) -> dict[str, Any]:
    return {"kind": "training", "threshold": Decimal(1), "parameters": {"course": course}}


for _tier in DEFAULT["tiers"]:
    if _tier["code"] in TRAINING_REQUIREMENTS:
        _tier["criteria"].append(training_criterion(TRAINING_REQUIREMENTS[_tier["code"]]))

POLICIES = [PREVIOUS, DEFAULT]


def create_policy(apps: Any, spec: dict[str, Any]) -> None:
    """Create one policy from its spec with the historical models of a migration."""
    policy_model = apps.get_model("tiers", "TierPolicy")
    tier_model = apps.get_model("tiers", "Tier")
    criterion_model = apps.get_model("tiers", "TierCriterion")
    if policy_model.objects.filter(code=spec["code"]).exists():
        return
    policy = policy_model.objects.create(
        code=spec["code"],
        version=1,
        name=spec["name"],
        status=spec["status"],
        effective_from=spec["effective_from"],
        **policy_name_fields(apps, spec),
    )
    for tier_spec in spec["tiers"]:
        tier = tier_model.objects.create(
            policy=policy,
            code=tier_spec["code"],
            rank=tier_spec["rank"],
            name_de=tier_spec["name_de"],
            name_en=tier_spec["name_en"],
            discount_percent=tier_spec["discount_percent"],
            target_min=tier_spec.get("target_min"),
            target_max=tier_spec.get("target_max"),
            **hotline_fields(apps, tier_spec["code"]),
        )
        for position, criterion in enumerate(tier_spec["criteria"]):
            criterion_model.objects.create(
                tier=tier,
                kind=criterion["kind"],
                threshold=criterion.get("threshold"),
                parameters=criterion.get("parameters", {}),
                is_calibrated=criterion.get("is_calibrated", False),
                position=position,
            )


def policy_name_fields(apps: Any, spec: dict[str, Any]) -> dict[str, Any]:
    """The programme's German and English names, for a migration state that has the fields
    (`0002_default_policies` runs before they exist; `0007_programme_names` fills them then)."""
    policy_model = apps.get_model("tiers", "TierPolicy")
    names = {field.name for field in policy_model._meta.get_fields()}
    return {key: spec[key] for key in ("name_de", "name_en") if key in names}


def hotline_fields(apps: Any, code: str) -> dict[str, Any]:
    """The demo hotline of a tier code, for the fields the migration state already has."""
    tier_model = apps.get_model("tiers", "Tier")
    names = {field.name for field in tier_model._meta.get_fields()}
    return {key: value for key, value in HOTLINES.get(code, {}).items() if key in names}
