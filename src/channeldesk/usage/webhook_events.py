"""The webhook event of usage billing (docs/webhook-events.md): `usage.statement_issued` for
each partner's monthly statement, emitted in the closing's transaction, all of a month in one
call; keyed by the statement, so a statement is announced once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from channeldesk.core.json_numbers import json_number
from channeldesk.usage.models import Statement, StatementLine
from channeldesk.webhooks.emit import EventDraft, webhook_events_emit
from channeldesk.webhooks.payloads import json_instant, partner_refs
from channeldesk.webhooks.wanted import webhook_type_wanted

STATEMENT_ISSUED = "usage.statement_issued"


def statements_issued_emit(
    *, statements: Sequence[Statement], lines: Sequence[StatementLine]
) -> int:
    """`usage.statement_issued` for statements just written with their `lines`."""
    if not statements or not webhook_type_wanted(STATEMENT_ISSUED):
        return 0
    partners = partner_refs(statement.partner_id for statement in statements)
    line_counts = Counter(line.statement_id for line in lines)
    drafts = [
        EventDraft(
            type=STATEMENT_ISSUED,
            key=f"{STATEMENT_ISSUED}:{statement.pk}",
            partner_id=statement.partner_id,
            occurred_at=statement.issued_at,
            data={
                "partner": partners[statement.partner_id],
                "statement_id": statement.pk,
                "number": statement.number,
                "period": statement.period.isoformat(),
                "issued_at": json_instant(statement.issued_at),
                "currency": statement.currency,
                "list_total": json_number(statement.list_total),
                "net_total": json_number(statement.net_total),
                "lines": line_counts[statement.pk],
            },
        )
        for statement in statements
    ]
    return webhook_events_emit(drafts)
