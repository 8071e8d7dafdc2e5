"""The movers of a draft programme: every partner the latest simulation moves to another tier,
with names, filtered by direction and tier, paged (the dashboard shows the first 25)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.views.decorators.http import require_http_methods

from channeldesk.backoffice.access import manager_view
from channeldesk.backoffice.forms import MOVER_DIRECTION_CHOICES, MoverFilterForm
from channeldesk.backoffice.selectors import (
    DraftProjection,
    draft_projection,
    draft_to_project,
    movers_filtered,
    partner_names,
)
from channeldesk.backoffice.views.partners import tier_choices
from channeldesk.tiers.models import Tier, TierPolicy

PAGE_SIZE = 50
DIRECTION_LABELS = dict(MOVER_DIRECTION_CHOICES)


@dataclass(frozen=True)
class MoverRow:
    """One mover by name: the partner, the tier it has and the one the draft gives it."""

    partner_number: str
    name: str
    from_tier: str
    to_tier: str
    direction: str


def mover_rows(
    movers: Iterable[dict[str, Any]],
    *,
    names: dict[str, str],
    tier_names: dict[str, tuple[str, str]],
    german: bool,
) -> Iterator[MoverRow]:
    """Movers as rows a person reads: names instead of tier and direction codes."""
    index = 0 if german else 1
    tiers = tier_names

    def tier_name(code: str | None) -> str:
        return tiers[code][index] if code in tiers else (code or "")

    for mover in movers:
        number = mover["partner_number"]
        yield MoverRow(
            partner_number=number,
            name=names.get(number, ""),
            from_tier=tier_name(mover["from"]),
            to_tier=tier_name(mover["to"]),
            direction=str(DIRECTION_LABELS.get(mover["direction"], mover["direction"])),
        )


def mover_selection(
    request: HttpRequest,
) -> tuple[MoverFilterForm, DraftProjection | None, list[dict[str, Any]]]:
    """The form, the draft's projection and its movers narrowed by the form (404 for a draft
    asked for that does not exist)."""
    reference = request.GET.get("policy", "")
    policy = draft_to_project(reference=reference)
    if reference and policy is None:
        raise Http404("No such draft policy.")
    german = (translation.get_language() or "").startswith("de")
    form = MoverFilterForm(request.GET or None, tiers=_tier_choices(policy, german=german))
    projection = draft_projection(policy=policy)
    if projection is None:
        return form, None, []
    direction = tier = ""
    if form.is_valid():
        direction, tier = form.cleaned_data["direction"], form.cleaned_data["tier"]
    movers = movers_filtered(projection=projection, direction=direction, tier=tier)
    return form, projection, movers


def _tier_choices(policy: TierPolicy | None, *, german: bool) -> list[tuple[str, str]]:
    """The draft's tiers best first, then the tiers in force it does not have."""
    choices: dict[str, str] = {}
    if policy is not None:
        for code, name_de, name_en in (
            Tier.objects.filter(policy=policy)
            .values_list("code", "name_de", "name_en")
            .order_by("-rank")
        ):
            choices[code] = name_de if german else name_en
    for code, name in tier_choices(today=timezone.localdate(), german=german):
        choices.setdefault(code, name)
    return list(choices.items())


@manager_view
@require_http_methods(["GET", "HEAD"])
def mover_list(request: HttpRequest) -> HttpResponse:
    german = (translation.get_language() or "").startswith("de")
    form, projection, movers = mover_selection(request)
    page = Paginator(movers, PAGE_SIZE).get_page(request.GET.get("page"))
    rows: list[MoverRow] = []
    if projection is not None:
        names = partner_names(numbers=[mover["partner_number"] for mover in page])
        rows = list(mover_rows(page, names=names, tier_names=projection.tier_names, german=german))
    context = {
        "form": form,
        "projection": projection,
        "page": page,
        "rows": rows,
        "section": "dashboard",
    }
    return render(request, "backoffice/movers.html", context)
