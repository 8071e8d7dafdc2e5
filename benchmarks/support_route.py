"""`support_route`: the phone system's lookup, `GET /api/v1/support/route`, over loopback HTTP.

Target (R7, docs/support.md): p95 ≤ 20 ms on loopback, served by `gunicorn channeldesk.wsgi -w 2`
against the benchmark database of the scale (the demo data: 2,000 partners at small scale,
100,000 at full scale).

The benchmark rebuilds the caller-number table (reported as its own figure), starts gunicorn on
a free port, issues a service token of scope `support`, and
sends requests one after the other, each on a new connection as a phone system would: a third by
partner number, a third by a known caller's number (the partner's phone, E.164), a third by an
unknown number (the entry tier's line). After a warm-up it reports the median, p95 and p99
latency (the client's peak RSS is reported; the servers are gunicorn's own processes).
"""

from __future__ import annotations

import http.client
import json
import random
import socket
import statistics
import time

from common import (
    dataset_benchmark,
    emit,
    gunicorn,
    peak_rss_mib,
)

TARGET_P95_MS = 20.0
REQUESTS = {"small": 600, "full": 3000}
WARM_UP = 60


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _queries(count: int) -> list[str]:
    """A deterministic mix of partner numbers, known callers and unknown callers."""
    from channeldesk.partners.models import Partner
    from channeldesk.tiers.hotlines import caller_e164

    rng = random.Random(6)
    partners = list(Partner.objects.exclude(phone="").values_list("partner_number", "phone")[:5000])
    queries = []
    for index in range(count):
        number, phone = rng.choice(partners)
        if index % 3 == 0:
            queries.append(f"partner_number={number}")
        elif index % 3 == 1:
            queries.append(f"caller={caller_e164(phone).replace('+', '%2B')}")
        else:
            queries.append(f"caller=%2B4930{rng.randint(10_000_000, 99_999_999)}")
    return queries


def _call(port: int, token: str, query: str) -> float:
    start = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    connection.request(
        "GET", f"/api/v1/support/route/?{query}", headers={"Authorization": f"Bearer {token}"}
    )
    response = connection.getresponse()
    body = response.read()
    connection.close()
    elapsed = time.perf_counter() - start
    if response.status != 200:
        raise RuntimeError(f"{query}: {response.status} {body[:200]!r}")
    json.loads(body)
    return elapsed


def main() -> None:
    scale, _runs, database = dataset_benchmark(__doc__ or "")

    from channeldesk.core.models import TokenScope
    from channeldesk.core.tokens import service_token_create
    from channeldesk.tiers.hotlines import caller_numbers_refresh

    refresh_start = time.perf_counter()
    numbers = caller_numbers_refresh()
    emit(
        "support_route.caller_numbers_refresh",
        time.perf_counter() - refresh_start,
        "s",
        numbers=numbers,
        scale=scale.name,
        database=database,
    )

    issued = service_token_create(name="benchmark phone system", scope=TokenScope.SUPPORT)
    token = issued.secret
    count = REQUESTS[scale.name]
    queries = _queries(count + WARM_UP)
    port = _free_port()
    try:
        with gunicorn(port=port):
            for query in queries[:WARM_UP]:
                _call(port, token, query)
            latencies = [_call(port, token, query) * 1000 for query in queries[WARM_UP:]]
    finally:
        issued.token.delete()  # the benchmark database keeps no stray logins
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    emit(
        "support_route.p95",
        p95,
        "ms",
        target=f"<= {TARGET_P95_MS}",
        met=p95 <= TARGET_P95_MS,
        median_ms=round(statistics.median(latencies), 3),
        p99_ms=round(p99, 3),
        requests=len(latencies),
        workers=2,
        scale=scale.name,
        database=database,
        partners=scale.partners,
        peak_rss_mib=round(peak_rss_mib(), 1),
    )


if __name__ == "__main__":
    main()
