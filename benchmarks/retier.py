"""`retier`: tier evaluation against the bare SQL aggregate and a per-partner ORM loop.

Targets (issue 2): on PostgreSQL with 100,000 partners and 10 million order lines, `tiers
evaluate` takes at most 1.5x the bare GROUP BY of the same criteria, and is at least 20x faster
than a straightforward per-partner ORM loop (both on the same 10,000-partner subset); the
process stays under 1 GiB peak RSS.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from common import SCALES, arguments, emit, peak_rss_mib, setup_django, timed

AS_OF = dt.date(2026, 7, 1)


def bare_sql(compiled: Any, partner_ids: list[int] | None = None) -> list[tuple]:
    """The limit: one GROUP BY over the order lines computing the same figures."""
    from django.db import connection

    period, since = compiled.period, compiled.measured_since
    subset = "AND l.partner_id = ANY(%(ids)s)" if partner_ids is not None else ""
    if partner_ids is not None and connection.vendor != "postgresql":
        subset = f"AND l.partner_id IN ({','.join(str(i) for i in partner_ids)})"
    sql = f"""
        SELECT l.partner_id,
               COUNT(DISTINCT l.order_id) FILTER (
                   WHERE l.order_date >= %(start)s AND l.quantity > 0),
               COUNT(*) FILTER (
                   WHERE l.order_date >= %(start)s AND l.quantity > 0 AND p.kind <> 'retail'),
               SUM(l.net_amount)
        FROM catalog_orderline l JOIN catalog_product p ON p.id = l.product_id
        WHERE l.order_date >= %(since)s AND l.order_date < %(end)s {subset}
        GROUP BY l.partner_id
    """
    from django.db import transaction

    from channeldesk.tiers.selectors import analytic_session_tune

    # The same session tuning the service uses (work_mem), so only the work differs.
    with transaction.atomic(), connection.cursor() as cursor:
        analytic_session_tune()
        cursor.execute(
            sql, {"start": period.start, "end": period.end, "since": since, "ids": partner_ids}
        )
        return cursor.fetchall()


def orm_loop(policy: Any, partner_ids: list[int]) -> dict[int, str]:
    """The straightforward way: a few ORM queries per partner, then the rules in Python."""
    from django.db.models import Sum

    from channeldesk.catalog.models import OrderLine, ProductKind
    from channeldesk.tiers.selectors import policy_compile

    compiled = policy_compile(policy=policy, as_of=AS_OF)
    period, since = compiled.period, compiled.measured_since
    result = {}
    for partner_id in partner_ids:
        lines = OrderLine.objects.filter(partner_id=partner_id)
        in_period = lines.filter(
            order_date__gte=period.start, order_date__lt=period.end, quantity__gt=0
        )
        orders = in_period.values("order_id").distinct().count()
        beyond_retail = in_period.exclude(product__kind=ProductKind.RETAIL).exists()
        revenue = lines.filter(order_date__gte=since, order_date__lt=period.end).aggregate(
            total=Sum("net_amount")
        )["total"] or Decimal(0)
        figures = {
            "orders": Decimal(orders),
            "non_retail_lines": Decimal(beyond_retail),
            "revenue_12m": revenue,
        }
        # Criteria measured outside the order lines (training) bring their own measure.
        for metric, measure in compiled.measures.items():
            figures[metric] = measure([partner_id]).get(partner_id, 0)
        result[partner_id] = _decide(compiled, figures)
    return result


def _decide(compiled: Any, figures: dict[str, Decimal]) -> str:
    from channeldesk.tiers.evaluation import decide

    return decide(compiled, figures).code


def main() -> None:
    options = arguments(__doc__ or "")
    scale = SCALES[options.scale]
    runs = options.runs or scale.runs
    database = setup_django(scale)

    from channeldesk.partners.models import Partner
    from channeldesk.tiers.evaluation import tiers_evaluate
    from channeldesk.tiers.selectors import policy_compile, policy_get

    policy = policy_get(reference="default")
    compiled = policy_compile(policy=policy, as_of=AS_OF)
    common = {
        "scale": scale.name,
        "database": database,
        "runs": runs,
        "partners": scale.partners,
        "order_lines": scale.order_lines,
    }

    bare, rows = timed(lambda: bare_sql(compiled), runs)
    evaluate, evaluation = timed(lambda: tiers_evaluate(policy=policy, as_of=AS_OF), runs)
    emit(
        "retier.evaluate_vs_bare_sql",
        evaluate,
        "s",
        baseline=bare,
        ratio=round(evaluate / bare, 3),
        target="ratio <= 1.5",
        measured_partners=len(rows),
        evaluated_partners=len(evaluation.decisions),
        **common,
    )

    subset = list(Partner.objects.order_by("id").values_list("id", flat=True)[: scale.subset])
    loop_runs = 1 if scale.name == "full" else runs
    loop, by_loop = timed(lambda: orm_loop(policy, subset), loop_runs)
    fast, by_set = timed(
        lambda: tiers_evaluate(policy=policy, as_of=AS_OF, partner_ids=subset), runs
    )
    agree = all(
        by_loop[d.partner_id] == d.tier for d in by_set.decisions if d.override_reason is None
    )
    emit(
        "retier.evaluate_vs_orm_loop",
        fast,
        "s",
        baseline=loop,
        ratio=round(loop / fast, 1),
        target="ratio >= 20",
        subset=len(subset),
        results_agree=agree,
        **common,
    )
    emit("retier.peak_rss", peak_rss_mib(), "MiB", target="< 1024", **common)


if __name__ == "__main__":
    main()
