"""`retier`: tier evaluation against the bare SQL aggregate and a per-partner ORM loop.

Targets (R2, docs/tiers.md): on PostgreSQL with 100,000 partners and 10 million order lines, `tiers
evaluate` takes at most 1.5x the bare GROUP BY of the same criteria (the order-line aggregate
and, since the policy requires courses (R7), the count of trained people), and is at
least 20x faster than a straightforward per-partner ORM loop (both on the same 10,000-partner
subset); the process stays under 1 GiB peak RSS.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from common import dataset_benchmark, emit, emit_compared, peak_rss_mib, timed, timed_pair

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


def bare_training_sql(compiled: Any) -> list[tuple]:
    """The limit of the training criteria: one GROUP BY over the training records counting, per
    criterion, the people with a valid completion (or, in the grace period, a booking while the
    partner holds the tier): the same figures the training kind measures."""
    from django.db import connection, transaction

    from channeldesk.training.criteria import KIND_CODE, grace_days_of, qualifying_course_ids

    on = AS_OF
    columns, params, all_courses, grace = [], [], set(), 0
    for tier in compiled.tiers:
        for criterion in tier.criteria:
            if criterion.kind.code != KIND_CODE:
                continue
            courses = qualifying_course_ids(
                course_code=str(criterion.parameters.get("course", "")), tier_code=tier.code
            )
            days = grace_days_of(criterion.parameters)
            all_courses.update(courses)
            grace = max(grace, days)
            columns.append(
                f"""COUNT(DISTINCT e.participant_id) FILTER (WHERE e.course_id {_in(courses)} AND (
                    (e.status = 'completed' AND e.session_date <= %s AND e.valid_until > %s)
                    OR (e.status = 'booked' AND e.session_date >= %s AND e.session_date < %s
                        AND EXISTS (SELECT 1 FROM tiers_tierassignment a
                                    JOIN tiers_tier t ON t.id = a.tier_id
                                    WHERE a.partner_id = e.partner_id AND t.code = %s
                                      AND a.valid_from <= %s
                                      AND (a.valid_to IS NULL OR a.valid_to > %s)))))"""
            )
            params += [on, on, on, on + dt.timedelta(days=days), tier.code, on, on]
    if not columns:
        return []
    sql = f"""
        SELECT e.partner_id, {", ".join(columns)}
        FROM training_enrollment e
        WHERE e.course_id {_in(all_courses)}
          AND ((e.status = 'completed' AND e.session_date <= %s AND e.valid_until > %s)
               OR (e.status = 'booked' AND e.session_date >= %s AND e.session_date < %s))
        GROUP BY e.partner_id
    """
    params += [on, on, on, on + dt.timedelta(days=grace)]
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config('jit', 'off', true)")
        cursor.execute(sql, params)
        return cursor.fetchall()


def _in(ids: Any) -> str:
    """An IN list of database ids (integers), written into the SQL for both databases."""
    return f"IN ({', '.join(str(int(i)) for i in sorted(ids)) or 'NULL'})"


def bare(compiled: Any) -> list[tuple]:
    """Both limits: the order-line aggregate and the training count, as one run measures them."""
    rows = bare_sql(compiled)
    bare_training_sql(compiled)
    return rows


def orm_loop(policy: Any, partner_ids: list[int]) -> dict[int, str]:
    """The straightforward way: a few ORM queries per partner, then the rules in Python."""
    from django.db.models import Sum

    from channeldesk.catalog.models import OrderLine, ProductKind
    from channeldesk.tiers.selectors import policy_compile
    from channeldesk.training.criteria import KIND_CODE, grace_days_of, training_people_measure

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
        # The training criteria, one straightforward count per criterion and partner.
        for tier in compiled.tiers:
            for criterion in tier.criteria:
                if criterion.kind.code == KIND_CODE:
                    figures[criterion.metric] = training_people_measure(
                        course_code=str(criterion.parameters.get("course", "")),
                        tier_code=tier.code,
                        on=AS_OF,
                        grace_days=grace_days_of(criterion.parameters),
                        partner_ids=[partner_id],
                    ).get(partner_id, 0)
        result[partner_id] = _decide(compiled, figures)
    return result


def _decide(compiled: Any, figures: dict[str, Decimal]) -> str:
    from channeldesk.tiers.evaluation import decide

    return decide(compiled, figures).code


def main() -> None:
    scale, runs, database = dataset_benchmark(__doc__ or "")

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

    measured_partners = len(bare(compiled))
    evaluate, bare_time, evaluation = timed_pair(
        lambda: tiers_evaluate(policy=policy, as_of=AS_OF), lambda: bare(compiled), runs
    )
    emit_compared(
        "retier.evaluate_vs_bare_sql",
        evaluate,
        "s",
        baseline=bare_time,
        baseline_is="order-line GROUP BY + training GROUP BY, hand-written SQL",
        target="ratio <= 1.5",
        measured_partners=measured_partners,
        evaluated_partners=len(evaluation.decisions),
        **common,
    )

    subset = list(Partner.objects.order_by("id").values_list("id", flat=True)[: scale.subset])
    loop_runs = 1  # the slow baseline (seconds per thousand partners): one run tells the ratio
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
