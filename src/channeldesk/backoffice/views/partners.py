"""Partner lookup and the partner page (support desk and channel managers)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.views.decorators.http import require_http_methods

from channeldesk.backoffice.access import staff_view
from channeldesk.backoffice.forms import PartnerListForm
from channeldesk.backoffice.selectors import (
    LIST_LIMIT,
    DraftProjection,
    PartnerFilters,
    backoffice_partner,
    backoffice_partner_list,
    draft_projection,
    draft_to_project,
    partner_contracts,
    partner_customers,
    partner_messages,
    partner_orders,
    partner_revenue_window,
)
from channeldesk.catalog.models import ProductKind
from channeldesk.core.money import money_round
from channeldesk.feedback.selectors import feedback_of_partner
from channeldesk.licensing.selectors import contract_licence_status
from channeldesk.partners.models import Partner, PartnerStatus
from channeldesk.partners.selectors import user_is_channel_manager
from channeldesk.tiers.models import Tier
from channeldesk.tiers.selectors import policy_in_force, tier_current, tier_history

PAGE_SIZE = 50


@dataclass(frozen=True)
class PartnerRow:
    """One line of the partner list: the partner with its tier, revenue and draft tier by name."""

    partner: Partner
    tier: str
    revenue: Decimal
    draft_tier: str


def tier_choices(*, today: dt.date, german: bool) -> list[tuple[str, str]]:
    """The tiers to filter by, best first, by name: the policy in force's, else every code."""
    policy = policy_in_force(on=today)
    tiers = Tier.objects.filter(policy=policy) if policy else Tier.objects.all()
    choices: dict[str, str] = {}
    for code, name_de, name_en in tiers.order_by("-rank", "-policy_id").values_list(
        "code", "name_de", "name_en"
    ):
        choices.setdefault(code, name_de if german else name_en)
    return list(choices.items())


def partner_filters(
    request: HttpRequest, *, today: dt.date, german: bool
) -> tuple[PartnerListForm, PartnerFilters]:
    """The list's form and the filters it validated (unfiltered when the input is invalid)."""
    form = PartnerListForm(request.GET or None, tiers=tier_choices(today=today, german=german))
    if not form.is_valid():
        return form, PartnerFilters()
    data = form.cleaned_data
    return form, PartnerFilters(
        search=data["q"].strip(),
        status=data["status"],
        tier=data["tier"],
        postal_code=(data["postal_code"] or "").strip(),
        training_missing=data["training_missing"],
        sort=data["sort"] or "number",
    )


def partner_rows(
    partners: Iterable[Partner], *, projection: DraftProjection | None, german: bool
) -> Iterator[PartnerRow]:
    """The list's lines; the draft tier comes from the latest simulation of the draft."""
    index = 0 if german else 1
    moves = projection.moves if projection is not None else {}
    names = projection.tier_names if projection is not None else {}
    for partner in partners:
        current_code = getattr(partner, "tier_code", None)
        draft_code = None
        if projection is not None and partner.status == PartnerStatus.AUTHORIZED:
            draft_code = moves.get(partner.partner_number, current_code)
        yield PartnerRow(
            partner=partner,
            tier=(getattr(partner, "tier_name_de" if german else "tier_name_en", None) or ""),
            # SQLite sums REAL values: the sum is rounded to the cent as every amount is.
            revenue=money_round(Decimal(str(getattr(partner, "revenue", 0) or 0))),
            draft_tier=names[draft_code][index] if draft_code in names else (draft_code or ""),
        )


@staff_view
@require_http_methods(["GET", "HEAD"])
def partner_list(request: HttpRequest) -> HttpResponse:
    """Every partner with its tier, revenue and draft tier; filtered, sorted and paged in SQL
    (a fixed number of queries per page, whatever the register's size)."""
    today = timezone.localdate()
    german = (translation.get_language() or "").startswith("de")
    form, filters = partner_filters(request, today=today, german=german)
    window = partner_revenue_window(today=today)
    draft = draft_to_project()
    partners = backoffice_partner_list(
        user=request.user, filters=filters, today=today, window=window, draft=draft
    )
    page = Paginator(partners, PAGE_SIZE).get_page(request.GET.get("page"))
    projection = draft_projection(policy=draft)
    context = {
        "form": form,
        "page": page,
        "rows": list(partner_rows(page, projection=projection, german=german)),
        "window": window,
        "projection": projection,
        "sort": filters.sort,
        "is_manager": user_is_channel_manager(user=request.user),
        "section": "partners",
    }
    return render(request, "backoffice/partners.html", context)


@staff_view
@require_http_methods(["GET", "HEAD"])
def partner_detail(request: HttpRequest, partner_number: str) -> HttpResponse:
    try:
        partner = backoffice_partner(user=request.user, partner_number=partner_number)
    except Partner.DoesNotExist:
        raise Http404("No such partner.") from None
    customers = partner_customers(user=request.user, partner=partner)
    contracts = partner_contracts(user=request.user, partner=partner)
    shown = list(contracts[:LIST_LIMIT])
    licences = contract_licence_status(
        contract_ids=[c.pk for c in shown if c.product.kind == ProductKind.ENTERPRISE]
    )
    context = {
        "partner": partner,
        "current": tier_current(partner=partner, on=timezone.localdate()),
        "history": tier_history(partner=partner),
        "orders": partner_orders(partner=partner),
        "customers": list(customers[:LIST_LIMIT]),
        "customer_count": customers.count(),
        "contracts": [(contract, licences.get(contract.pk)) for contract in shown],
        "contract_count": contracts.count(),
        "messages_sent": partner_messages(partner=partner),
        "feedback": list(feedback_of_partner(partner=partner)[:LIST_LIMIT]),
        "contacts": list(partner.contacts.all()),
        "is_manager": user_is_channel_manager(user=request.user),
        "section": "partners",
    }
    return render(request, "backoffice/partner_detail.html", context)
