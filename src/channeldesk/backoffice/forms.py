"""Forms of the back office: each checks its input before a service acts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from channeldesk.contracts.models import CustomerSector
from channeldesk.licensing.models import ComplianceStatus
from channeldesk.partners.models import PartnerStatus

DEFAULT_TARGETS = {"gold": (60, 75), "silver": (200, 250)}


class PartnerSearchForm(forms.Form):
    q = forms.CharField(label=_("Partner number or name"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("all")), *PartnerStatus.choices]
    )


class PartnerListForm(PartnerSearchForm):
    """The partner list's filters and sort order; the tiers to choose from are given by name."""

    tier = forms.ChoiceField(label=_("Tier"), required=False)
    postal_code = forms.RegexField(
        label=_("Postal code starts with"),
        regex=r"^[0-9A-Za-z -]{1,16}$",
        required=False,
        max_length=16,
    )
    training_missing = forms.BooleanField(label=_("Training missing for the tier"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[
            ("number", _("partner number")),
            ("name", _("name")),
            ("tier", _("tier, best first")),
            ("-tier", _("tier, entry tier first")),
            ("revenue", _("revenue, highest first")),
            ("-revenue", _("revenue, lowest first")),
        ],
    )

    def __init__(self, *args: Any, tiers: Sequence[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tier = self.fields["tier"]
        assert isinstance(tier, forms.ChoiceField)
        tier.choices = [("", _("all tiers")), *tiers]


MOVER_DIRECTION_CHOICES = [
    ("up", _("moves up")),
    ("down", _("moves down")),
    ("new", _("gets a tier for the first time")),
]


class MoverFilterForm(forms.Form):
    """The movers list's filters: direction in words, and a tier moved from or to."""

    direction = forms.ChoiceField(
        label=_("Direction"),
        required=False,
        choices=[("", _("all directions")), *MOVER_DIRECTION_CHOICES],
    )
    tier = forms.ChoiceField(label=_("From or to tier"), required=False)

    def __init__(self, *args: Any, tiers: Sequence[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tier = self.fields["tier"]
        assert isinstance(tier, forms.ChoiceField)
        tier.choices = [("", _("all tiers")), *tiers]


class IsoDateInput(forms.DateInput):
    """`<input type=date>` with an ISO value in every language: a browser drops any other
    value of a date input (a German `07.12.2026` would be sent as nothing)."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class RunForm(forms.Form):
    """A simulation or calibration of a policy as of a date, with target ranges."""

    as_of = forms.DateField(label=_("As of"), widget=IsoDateInput())
    gold_min = forms.IntegerField(label=_("Gold from"), min_value=0, required=False)
    gold_max = forms.IntegerField(label=_("Gold to"), min_value=0, required=False)
    silver_min = forms.IntegerField(label=_("Silver from"), min_value=0, required=False)
    silver_max = forms.IntegerField(label=_("Silver to"), min_value=0, required=False)

    def __init__(self, *args: Any, tier_codes: tuple[str, ...] = (), **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "as_of": timezone.localdate(),
                "gold_min": DEFAULT_TARGETS["gold"][0],
                "gold_max": DEFAULT_TARGETS["gold"][1],
                "silver_min": DEFAULT_TARGETS["silver"][0],
                "silver_max": DEFAULT_TARGETS["silver"][1],
            },
        )
        super().__init__(*args, **kwargs)
        self.tier_codes = tier_codes

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for code in ("gold", "silver"):
            low, high = cleaned.get(f"{code}_min"), cleaned.get(f"{code}_max")
            if (low is None) != (high is None):
                raise forms.ValidationError(
                    _("Give both ends of the %(tier)s target, or neither.") % {"tier": code}
                )
            if low is not None and high is not None and low > high:
                raise forms.ValidationError(
                    _("The %(tier)s target must not end below its start.") % {"tier": code}
                )
        return cleaned

    def targets(self) -> dict[str, tuple[int, int]]:
        """The target ranges of the tiers the policy has."""
        result: dict[str, tuple[int, int]] = {}
        for code in ("gold", "silver"):
            low, high = self.cleaned_data.get(f"{code}_min"), self.cleaned_data.get(f"{code}_max")
            if low is not None and high is not None and code in self.tier_codes:
                result[code] = (low, high)
        return result


class PublishForm(forms.Form):
    effective_from = forms.DateField(label=_("Takes effect on"), widget=IsoDateInput())


class PublishConfirmForm(PublishForm):
    """Publishing for good: the date again, and the channel manager's explicit yes."""

    confirm = forms.BooleanField(
        label=_("Yes, publish this programme; it can no longer be changed."), required=True
    )


class ApplyForm(forms.Form):
    """Apply a published policy as of a date (its effective date unless another is given)."""

    as_of = forms.DateField(label=_("As of"), widget=IsoDateInput(), required=False)


class DismissForm(forms.Form):
    reason = forms.CharField(label=_("Why is it dismissed?"), max_length=500)


class ComplianceListForm(forms.Form):
    """The compliance list's filters: sector and state by name, the partner by number."""

    sector = forms.ChoiceField(
        label=_("Sector"), required=False, choices=[("", _("all")), *CustomerSector.choices]
    )
    partner = forms.RegexField(
        label=_("Partner number"), regex=r"^[0-9A-Za-z-]{1,20}$", required=False, max_length=20
    )
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[
            ("", _("under-licensed, heavily or not")),
            (ComplianceStatus.UNDER_LICENSED, ComplianceStatus.UNDER_LICENSED.label),
            (
                ComplianceStatus.HEAVILY_UNDER_LICENSED,
                ComplianceStatus.HEAVILY_UNDER_LICENSED.label,
            ),
            (ComplianceStatus.NEAR_LIMIT, ComplianceStatus.NEAR_LIMIT.label),
        ],
    )


class OutboxSearchForm(forms.Form):
    """The outbox search: a fragment of a recipient, an idempotency key or a subject."""

    q = forms.CharField(label=_("Recipient, key or subject"), required=False, max_length=200)
