"""The shared field declarations build exactly what the spelled-out declarations built, so a
model that uses them needs no migration."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from channeldesk.core.fields import (
    actor_field,
    span_history_constraints,
    unconstrained_foreign_key,
)
from channeldesk.licensing.models import ComplianceEpisode, Heartbeat, Installation, Keycode
from channeldesk.tiers.models import TierAssignment


def test_actor_field_is_an_optional_user_kept_when_the_user_goes() -> None:
    spelled_out = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    assert actor_field(_("issued by")).deconstruct() == spelled_out.deconstruct()


def test_actor_field_of_a_model_has_no_reverse_accessor() -> None:
    field = Keycode._meta.get_field("issued_by")

    assert field.remote_field.related_name == "+"
    assert field.remote_field.on_delete is models.SET_NULL
    assert field.null


def test_unconstrained_foreign_key_protects_without_constraint_or_index() -> None:
    spelled_out = models.ForeignKey(
        Installation,
        verbose_name=_("installation"),
        on_delete=models.PROTECT,
        related_name="heartbeats",
        db_index=False,
        db_constraint=False,
    )
    built = unconstrained_foreign_key(
        Installation, verbose_name=_("installation"), related_name="heartbeats"
    )

    assert built.deconstruct() == spelled_out.deconstruct()
    assert not Heartbeat._meta.get_field("installation").db_constraint


def test_span_history_constraints_with_the_default_span_fields() -> None:
    assert span_history_constraints(prefix="tier_assignment", owner="partner") == [
        models.UniqueConstraint(
            fields=["partner", "valid_from"], name="tier_assignment_unique_start"
        ),
        models.UniqueConstraint(
            fields=["partner"],
            condition=models.Q(valid_to__isnull=True),
            name="tier_assignment_one_open_per_partner",
        ),
    ]


def test_span_history_constraints_with_other_span_fields_keep_their_names() -> None:
    open_episode = models.UniqueConstraint(
        fields=["contract"],
        condition=models.Q(ended_on__isnull=True),
        name="compliance_episode_one_open_per_contract",
    )
    start = models.UniqueConstraint(
        fields=["contract", "started_on"], name="compliance_episode_unique_start"
    )

    assert ComplianceEpisode._meta.constraints == [start, open_episode]
    assert {constraint.name for constraint in TierAssignment._meta.constraints} == {
        "tier_assignment_unique_start",
        "tier_assignment_one_open_per_partner",
    }
