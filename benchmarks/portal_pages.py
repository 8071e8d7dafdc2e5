"""`portal_pages`: the partner portal's customer list, customer detail and renewals pages with
1,000,000 contracts in PostgreSQL and one partner owning 5,000 customers / 20,000 contracts.

Target (R11, docs/portal.md): each page answers in p95 <= 150 ms server time, with a bounded
number of queries (the count is reported; tests/portal asserts the bound).

The benchmark brings its own data, written with SQL into a database of its own
(`channeldesk_bench_portal_<scale>` on the BENCH_DATABASE_URL server): 1,000 partners sharing
the background contracts (2.5 per customer), and the measured partner `PB-BIG` with 5,000
customers and 4 contracts each, end dates spread over three years around the benchmark's
"today" (2026-11-27), a tier, and reminders (sent and planned) for its contracts ending soon.
`--scale small` uses 50,000 contracts (the big partner unchanged).

Each request goes through Django's test client (middleware, session, template rendering
included: the server's time, without the network), signed in as the partner's user. Figures:

- `portal_pages.<page>_median_ms`: the median beside each p95 (the machine is shared: a
  neighbour's load shows in the tail first);
- `portal_pages.customer_list_p95_ms`: the list sorted by name, by next contract end, a search,
  and pages from the first to the last;
- `portal_pages.customer_detail_p95_ms`: a different customer each time (contracts, reminders);
- `portal_pages.renewals_p95_ms`: the renewals of the next 90 days with quotes, pages 1–10;
- `portal_pages.<page>_queries`: queries per request (the most seen);
- `portal_pages.peak_rss`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random
import statistics
import time
from typing import Any

from common import (
    FIRST_END,
    SPREAD_DAYS,
    TODAY,
    bench_partners_insert,
    contracts_register_empty,
    emit,
    execute,
    parser,
    peak_rss_mib,
    scalar,
    setup_scratch_django,
)

CONTRACTS = {"small": 50_000, "full": 1_000_000}
REQUESTS = {"small": 15, "full": 40}
PARTNERS = 1_000
BIG_CUSTOMERS = 5_000
BIG_CONTRACTS_PER_CUSTOMER = 4
PRODUCTS = 20
TARGET_MS = 150.0


def _arguments() -> argparse.Namespace:
    options = parser(__doc__ or "", CONTRACTS, runs=False)
    options.add_argument("--requests", type=int, help="Requests per page kind.")
    return options.parse_args()


# --- The data ---------------------------------------------------------------------------------


def load(contracts: int) -> float:
    """Empty the register and write the scale's data with SQL; returns the seconds it took."""
    start = time.perf_counter()
    contracts_register_empty()
    _products()
    bench_partners_insert(PARTNERS, with_big=True)
    big_contracts = BIG_CUSTOMERS * BIG_CONTRACTS_PER_CUSTOMER
    background = contracts - big_contracts
    _customers(
        "KB-",
        math.ceil(background / 2.5),
        partner_sql="'PB-' || lpad((n %% %s + 1)::text, 6, '0')",
        partners=PARTNERS,
    )
    _customers("KBIG-", BIG_CUSTOMERS, partner_sql="'PB-BIG'")
    _contracts("VB-", background, customer_prefix="KB-", per_customer=2.5)
    _contracts(
        "VBIG-", big_contracts, customer_prefix="KBIG-", per_customer=BIG_CONTRACTS_PER_CUSTOMER
    )
    _reminders()
    execute("ANALYZE")
    return time.perf_counter() - start


def _products() -> None:
    execute(
        "INSERT INTO catalog_product (sku, name_de, name_en, kind, list_price, unit, is_active) "
        "SELECT 'ENT-B' || n, 'Produkt ' || n, 'Product ' || n, 'enterprise', 10 + n * 7.35, "
        "'seat', true FROM generate_series(1, %s) AS n ON CONFLICT (sku) DO NOTHING",
        [PRODUCTS],
    )


def _customers(prefix: str, count: int, *, partner_sql: str, partners: int | None = None) -> None:
    execute(
        "INSERT INTO contracts_customer (customer_number, name, street, postal_code, city, "
        "country, language, sector, contact_name, contact_email, created_at, updated_at) "
        f"SELECT '{prefix}' || lpad(n::text, 8, '0'), "
        "(ARRAY['Anton','Berta','Carl','Dora','Emil','Frieda','Gustav','Hanna'])[1 + n %% 8] "
        "|| ' ' || md5(n::text)::varchar(8) || ' GmbH', 'Hauptstraße 1', '10115', "
        "(ARRAY['Berlin','Hamburg','München','Köln','Leipzig'])[1 + n %% 5], 'DE', 'de', "
        "(ARRAY['public_authority','education','finance','other'])[1 + n %% 4], '', '', "
        "now(), now() FROM generate_series(1, %s) AS n",
        [count],
    )
    params: list[Any] = [partners] if partners is not None else []
    execute(
        "INSERT INTO contracts_customerassignment (customer_id, partner_id, valid_from, "
        "created_at) SELECT c.id, p.id, DATE '2020-01-01', now() FROM "
        f"(SELECT id, substring(customer_number from {len(prefix) + 1})::int AS n "
        f"FROM contracts_customer WHERE customer_number LIKE '{prefix}%%') c "
        f"JOIN partners_partner p ON p.partner_number = {partner_sql}",
        params,
    )


def _contracts(prefix: str, count: int, *, customer_prefix: str, per_customer: float) -> None:
    """End dates evenly over three years; those ended before today renewed or expired."""
    execute(
        "INSERT INTO contracts_contract (contract_number, customer_id, partner_id, product_id, "
        "seats, start_date, end_date, status, cancellation_reason, created_at, updated_at) "
        f"SELECT '{prefix}' || lpad(s.n::text, 8, '0'), c.id, a.partner_id, "
        "(SELECT min(id) FROM catalog_product) + s.n %% %s, 1 + s.n %% 50, "
        "s.end_date - 364, s.end_date, "
        "CASE WHEN s.end_date >= %s THEN 'active' WHEN s.n %% 10 < 7 THEN 'renewed' "
        "ELSE 'expired' END, '', now(), now() "
        "FROM (SELECT n, %s::date + (n::bigint * 7919 %% %s)::int AS end_date, "
        f"'{customer_prefix}' || lpad((1 + floor((n - 1) / %s))::int::text, 8, '0') AS number "
        "FROM generate_series(1, %s) AS n) s "
        "JOIN contracts_customer c ON c.customer_number = s.number "
        "JOIN contracts_customerassignment a ON a.customer_id = c.id AND a.valid_to IS NULL",
        [PRODUCTS, TODAY, FIRST_END, SPREAD_DAYS, per_customer, count],
    )


def _reminders() -> None:
    """The big partner's contracts ending in the next 90 days: the customer's letter sent (for
    those ending within 45 days) or planned, as the reminder sweep leaves them."""
    execute(
        "INSERT INTO contracts_reminder (contract_id, rule_id, contract_end_date, offset_days, "
        "due_on, status, reason, late, attempts, claimed_by, partner_id, recipient, sent_at, "
        "sent_on, created_at, updated_at) "
        "SELECT k.id, r.id, k.end_date, r.offset_days, k.end_date + r.offset_days, "
        "CASE WHEN k.end_date + r.offset_days <= %s THEN 'sent' ELSE 'planned' END, '', false, "
        "0, '', k.partner_id, '', "
        "CASE WHEN k.end_date + r.offset_days <= %s THEN now() END, "
        "CASE WHEN k.end_date + r.offset_days <= %s THEN k.end_date + r.offset_days END, "
        "now(), now() FROM contracts_contract k CROSS JOIN contracts_reminderrule r "
        "WHERE k.contract_number LIKE 'VBIG-%%' AND k.status = 'active' "
        "AND k.end_date < %s::date + 90 AND r.offset_days < 0",
        [TODAY, TODAY, TODAY, TODAY],
    )


def _big_partner_user() -> Any:
    """The measured partner's login, with its tier (Silver under `previous`)."""
    from django.contrib.auth import get_user_model

    from channeldesk.partners.models import MembershipRole, Partner, PartnerMembership
    from channeldesk.tiers.models import AssignmentSource, TierAssignment, TierPolicy

    partner = Partner.objects.get(partner_number="PB-BIG")
    user, _ = get_user_model().objects.get_or_create(
        username="bench-big", defaults={"email": "bench-big@bench.example"}
    )
    PartnerMembership.objects.get_or_create(
        user=user, defaults={"partner": partner, "role": MembershipRole.ADMIN}
    )
    policy = TierPolicy.objects.get(code="previous")
    TierAssignment.objects.get_or_create(
        partner=partner,
        valid_from=dt.date(2020, 1, 1),
        defaults={
            "policy": policy,
            "tier": policy.tiers.get(code="silver"),
            "source": AssignmentSource.INITIAL,
        },
    )
    return user


# --- Measuring ----------------------------------------------------------------------------------


def _measure(client: Any, paths: list[str]) -> tuple[float, float, int]:
    """p95 and median of the requests' times in ms, and the most queries one request made."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, queries = [], 0
    for path in paths:
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(path)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
            times.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
        queries = max(queries, len(captured.captured_queries))
    return _p95(times), statistics.median(times), queries


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def _paths(requests: int) -> dict[str, list[str]]:
    from channeldesk.contracts.models import Customer

    numbers = list(
        Customer.objects.filter(customer_number__startswith="KBIG-").values_list(
            "customer_number", flat=True
        )
    )
    chooser = random.Random(7)
    pages = BIG_CUSTOMERS // 25
    lists = [
        "/portal/customers/",
        "/portal/customers/?sort=next_end",
        "/portal/customers/?q=berta",
        "/portal/customers/?sort=-contracts",
        f"/portal/customers/?page={pages}",
    ]
    return {
        "customer_list": [
            lists[i % len(lists)]
            if i < len(lists)
            else f"/portal/customers/?page={chooser.randint(1, pages)}"
            for i in range(requests)
        ],
        "customer_detail": [
            f"/portal/customers/{number}/" for number in chooser.sample(numbers, requests)
        ],
        "renewals": [f"/portal/renewals/?page={1 + i % 10}" for i in range(requests)],
    }


def main() -> None:
    options = _arguments()
    database = setup_scratch_django(f"portal_{options.scale}")
    if database != "postgresql":
        raise SystemExit("portal_pages measures PostgreSQL; set BENCH_DATABASE_URL=postgres://…")
    from django.conf import settings
    from django.test import Client

    contracts = CONTRACTS[options.scale]
    load_seconds = 0.0
    if scalar("SELECT COUNT(*) FROM contracts_contract") != contracts:
        load_seconds = load(contracts)
    settings.ALLOWED_HOSTS = ["testserver"]
    client = Client()
    client.force_login(_big_partner_user())
    requests = options.requests or REQUESTS[options.scale]
    paths = _paths(requests)
    # One warm-up round: the first request of a process compiles templates and fills caches.
    for kind_paths in paths.values():
        client.get(kind_paths[0])
    common = {
        "scale": options.scale,
        "database": database,
        "contracts": scalar("SELECT COUNT(*) FROM contracts_contract"),
        "requests": requests,
        "target": f"p95 <= {TARGET_MS:.0f} ms",
    }
    for kind, kind_paths in paths.items():
        p95, median, queries = _measure(client, kind_paths)
        emit(f"portal_pages.{kind}_p95_ms", p95, "ms", **common, met=p95 <= TARGET_MS)
        emit(f"portal_pages.{kind}_median_ms", median, "ms", scale=options.scale)
        emit(f"portal_pages.{kind}_queries", queries, "queries", scale=options.scale)
    if load_seconds:
        emit("portal_pages.load_seconds", load_seconds, "s", scale=options.scale)
    emit("portal_pages.peak_rss", peak_rss_mib(), "MiB", scale=options.scale)


if __name__ == "__main__":
    main()
