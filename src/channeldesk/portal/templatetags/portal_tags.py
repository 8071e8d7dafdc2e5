"""Template helpers of the portal and the back office: names in the reader's language."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils import translation

from channeldesk.core.formatting import format_datetime
from channeldesk.licensing.models import ComplianceStatus
from channeldesk.partners.selectors import user_is_channel_manager
from channeldesk.portal.standing import criterion_line
from channeldesk.tiers.evaluation import CriterionResult
from channeldesk.tiers.models import Tier, TierPolicy

register = template.Library()


def _is_german() -> bool:
    return (translation.get_language() or "de").startswith("de")


@register.filter
def localized_name(obj: Any) -> str:
    """A product's or tier's name in the active language (`name_de` / `name_en`)."""
    if obj is None:
        return ""
    if isinstance(obj, dict):
        return str(obj.get("name_de" if _is_german() else "name_en") or obj.get("code", ""))
    for german, english in (("name_de", "name_en"), ("tier_name_de", "tier_name_en")):
        if hasattr(obj, german):
            return str(getattr(obj, german) if _is_german() else getattr(obj, english))
    return str(obj)


@register.filter
def long_datetime(value: dt.datetime | None) -> str:
    """`7. Dezember 2026, 12:35` / `7 December 2026, 12:35`, in the business time zone."""
    if value is None:
        return ""
    return format_datetime(value, language="de" if _is_german() else "en")


@register.filter
def programme_name(policy: Any) -> str:
    """A tier policy by its name in the reader's language (and version), never its code:
    `Partnerprogramm 2027 (Version 2)`; a programme without a name in that language shows its
    `name`. Takes the policy or its reference `code@version`."""
    if isinstance(policy, str):
        code, _separator, version = policy.partition("@")
        version = version or "1"
        found = None
        if version.isdigit():
            found = TierPolicy.objects.filter(code=code, version=int(version)).first()
        if found is None:
            return policy
        policy = found
    return policy.title_for(translation.get_language() or "de")


@register.filter
def tier_name(code: str) -> str:
    """A tier code (`silver`) by its name in the reader's language (`Silber-Partner`), from the
    newest policy that has the tier; an unknown code stays as it is."""
    tier = Tier.objects.filter(code=code).order_by("-policy_id").first()
    return localized_name(tier) if tier is not None else code


@register.filter
def reason_text(reason: dict[str, Any]) -> str:
    """A recorded reason of a tier assignment in words: `Gold-Partner · Nettoumsatz:
    128.063,16 € / 25.000,00 €` (never `gold · revenue: 128063.16 / 25000`)."""
    result = CriterionResult.from_dict(reason)
    if result is None:
        return ""
    language = "de" if _is_german() else "en"
    line = criterion_line(result, language=language, names={result.tier: tier_name(result.tier)})
    return f"{line.tier_name} · {line.label}: {line.measured} / {line.threshold}"


@register.simple_tag(takes_context=True)
def query_with(context: template.Context, **changes: Any) -> str:
    """The current query string with some parameters changed (for sort links and pages)."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        query[key] = value
    return query.urlencode()


@register.simple_tag(takes_context=True)
def page_query(context: template.Context, param: str, number: int) -> str:
    """The current query string on page `number` of a list paged by the parameter `param`
    (`page` when empty: a page with one list)."""
    return query_with(context, **{param or "page": number})


@register.simple_tag(takes_context=True)
def list_query(context: template.Context, **extra: str) -> str:
    """The list's filters and sort from the current query, without its page number, as `?…`
    (empty for an unfiltered list): what a download link next to the list carries. `extra`
    parameters are set on top (`{% list_query format="xlsx" %}` for the Excel variant)."""
    query = context["request"].GET.copy()
    query.pop("page", None)
    for name, value in extra.items():
        query[name] = value
    return f"?{query.urlencode()}" if query else ""


@register.filter
def as_decimal(value: Any) -> Decimal | None:
    """An amount or percentage from a JSON document (a string), for `money` and `percent`."""
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


@register.filter
def is_channel_manager(user: Any) -> bool:
    """Whether the login may steer the programme (the back office shows it more pages)."""
    return user_is_channel_manager(user=user)


@register.filter
def compliance_label(status: str) -> str:
    """A licence compliance state in the reader's language."""
    try:
        return str(ComplianceStatus(status).label)
    except ValueError:
        return status


@register.simple_tag
def statement_download_url(kind: str, number: str, customer_number: str = "") -> str:
    """The API download (`pdf`, `csv`, `evidence`) of a usage statement, or of its statement
    for one customer (`?customer_number=`), the one the partner forwards."""
    url = reverse(f"usage-statement-{kind}", args=[number])
    if customer_number:
        return f"{url}?{urlencode({'customer_number': customer_number})}"
    return url
