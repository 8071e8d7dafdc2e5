"""Forms of the back office: each checks its input before a service acts."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from channeldesk.partners.models import PartnerStatus

DEFAULT_TARGETS = {"gold": (60, 75), "silver": (200, 250)}


class PartnerSearchForm(forms.Form):
    q = forms.CharField(label=_("Partner number or name"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("all")), *PartnerStatus.choices]
    )


class RunForm(forms.Form):
    """A simulation or calibration of a policy as of a date, with target ranges."""

    as_of = forms.DateField(label=_("As of"), widget=forms.DateInput(attrs={"type": "date"}))
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
    effective_from = forms.DateField(
        label=_("Takes effect on"), widget=forms.DateInput(attrs={"type": "date"})
    )


class DismissForm(forms.Form):
    reason = forms.CharField(label=_("Why is it dismissed?"), max_length=500)
