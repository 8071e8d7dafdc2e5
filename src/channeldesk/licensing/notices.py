"""E-mails about under-licensing, through the outbox: the partner's notice (once per episode)
and vendor staff's daily digest (once per day).

Both are state-driven sweeps: `notices_send` looks for open episodes without a notice, the digest
is keyed by its day. The outbox's idempotency keys (`licensing:episode:<id>:partner`,
`licensing:digest:<day>`) make a repeated or raced run store nothing twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from itertools import batched

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from channeldesk.core.formatting import format_date, format_money, format_number
from channeldesk.licensing.compliance import partners_on
from channeldesk.licensing.models import ComplianceEpisode, LicensingPolicy
from channeldesk.licensing.selectors import compliance_report
from channeldesk.notifications.services import MessageDraft, outbox_enqueue, outbox_enqueue_many
from channeldesk.partners.models import Partner
from channeldesk.tiers.hotlines import hotline_for_partner

NOTICE_CHUNK = 500


@dataclass(frozen=True)
class NoticeResult:
    queued: int
    skipped: int  # no partner, no e-mail address, or the product's ladder sends none


def _notice_text(
    *, episode: ComplianceEpisode, partner: Partner, with_quote: bool
) -> tuple[str, str]:
    language = partner.language if partner.language in ("de", "en") else "de"
    contract = episode.contract
    quote = episode.quote if with_quote and episode.quote and "error" not in episode.quote else None
    context = {
        "partner": partner.name,
        "customer": contract.customer.name,
        "customer_number": contract.customer.customer_number,
        "contract_number": contract.contract_number,
        "product": contract.product.name_for(language),
        "seats": format_number(episode.seats, language=language),
        "active": format_number(episode.active_installations, language=language),
        "missing": format_number(
            max(0, episode.active_installations - episode.seats), language=language
        ),
        "since": format_date(episode.started_on, language=language),
        "quote_net": format_money(Decimal(quote["net_amount"]), language=language) if quote else "",
        "quote_days": quote["remaining_days"] if quote else "",
        "tier": quote["price"]["tier"] if quote else "",
        **_hotline_context(partner=partner, on=episode.started_on, language=language),
    }
    with translation.override(language):
        subject = _("Under-licensed: %(customer)s (%(contract)s)") % {
            "customer": contract.customer.name,
            "contract": contract.contract_number,
        }
        text = render_to_string("licensing/partner_notice.txt", context)
    return subject, text


def _hotline_context(*, partner: Partner, on: dt.date, language: str) -> dict[str, str]:
    """The support line the partner calls (R9), as the notice shows it."""
    hotline = hotline_for_partner(partner=partner, on=on)
    if hotline is None or not hotline.phone:
        return {"hotline": "", "hotline_hours": ""}
    return {"hotline": hotline.display(language), "hotline_hours": hotline.hours(language)}


def notices_send() -> NoticeResult:
    """Queue the partner notice of every open episode that has none yet."""
    policies = {policy.product_id: policy for policy in LicensingPolicy.objects.all()}
    episodes = ComplianceEpisode.objects.filter(
        ended_on__isnull=True, notice__isnull=True
    ).select_related("contract__customer", "contract__product")
    queued = skipped = 0
    for chunk in batched(episodes.iterator(chunk_size=NOTICE_CHUNK), NOTICE_CHUNK):
        drafts, owners = _notice_drafts(chunk=list(chunk), policies=policies)
        skipped += len(chunk) - len(drafts)
        with transaction.atomic():
            results = outbox_enqueue_many(drafts=drafts)
            for episode, result in zip(owners, results, strict=True):
                episode.notice = result.message
            ComplianceEpisode.objects.bulk_update(owners, ["notice"])
        queued += len(drafts)
    return NoticeResult(queued=queued, skipped=skipped)


def _notice_drafts(
    *, chunk: list[ComplianceEpisode], policies: dict[int, LicensingPolicy]
) -> tuple[list[MessageDraft], list[ComplianceEpisode]]:
    partners: dict[tuple[int, dt.date], Partner] = {}
    for day in {episode.started_on for episode in chunk}:
        customers = [episode.contract.customer_id for episode in chunk if episode.started_on == day]
        found = partners_on(customer_ids=customers, on=day)
        partners.update({(customer, day): partner for customer, partner in found.items()})
    drafts, owners = [], []
    for episode in chunk:
        policy = policies.get(episode.contract.product_id)
        partner = partners.get((episode.contract.customer_id, episode.started_on))
        if (
            (policy is not None and not policy.notify_partner)
            or partner is None
            or not partner.email
        ):
            continue
        subject, text = _notice_text(
            episode=episode, partner=partner, with_quote=policy is None or policy.include_quote
        )
        drafts.append(
            MessageDraft(
                key=f"licensing:episode:{episode.pk}:partner",
                to=[partner.email],
                subject=subject,
                text=text,
                language=partner.language,
                category="licensing",
            )
        )
        owners.append(episode)
    return drafts, owners


def digest_recipients() -> list[str]:
    if settings.LICENSING_DIGEST_TO:
        return list(settings.LICENSING_DIGEST_TO)
    users = get_user_model().objects.filter(is_active=True, is_staff=True).exclude(email="")
    return sorted(set(users.values_list("email", flat=True)))


def digest_send(*, day: dt.date) -> bool:
    """Queue vendor staff's digest of the day's scan; False when there is nobody to send it to
    or no scan of that day. Once per day (the key)."""
    recipients = digest_recipients()
    report = compliance_report(on=day, trend_days=8)
    if not recipients or report.day != day:
        return False
    opened = ComplianceEpisode.objects.filter(started_on=day).count()
    closed = ComplianceEpisode.objects.filter(ended_on=day).count()
    language = settings.LANGUAGE_CODE if settings.LANGUAGE_CODE in ("de", "en") else "de"
    with translation.override(language):
        subject = _("Licence compliance on %(day)s: %(count)s customers under-licensed") % {
            "day": format_date(day, language=language),
            "count": format_number(report.under_licensed_customers, language=language),
        }
        text = render_to_string(
            "licensing/staff_digest.txt",
            {
                "report": report,
                "day": format_date(day, language=language),
                "share": report.share_percent,
                "opened": opened,
                "closed": closed,
                "top": report.under_licensed[:20],
                "sectors": report.by_sector,
            },
        )
    outbox_enqueue(
        key=f"licensing:digest:{day.isoformat()}",
        to=recipients,
        subject=subject,
        text=text,
        language=language,
        category="licensing",
    )
    return True
