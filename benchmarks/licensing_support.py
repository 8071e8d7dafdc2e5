"""Shared plumbing of the licensing benchmarks: fixed keys and a scratch database of their own.

The data is written with SQL (`generate_series`) into `channeldesk_bench_licensing_<scale>` on
the BENCH_DATABASE_URL server: partners, one enterprise product, customers (one in five a public
authority), contracts in force on the benchmark's day, one keycode per contract (key id 1,
serial = contract id) and, where asked, installations. The keys come from the environment, as
in production, so a gunicorn started by a benchmark uses the same ones.
"""

from __future__ import annotations

import base64
import os
import time

from common import (
    TODAY,
    bench_customers_assign,
    bench_partners_insert,
    bench_product,
    execute,
    setup_scratch_django,
)

SECRET = b"benchmark-keycode-secret-32-bytes"
PARTNERS = 1_000
KEYS_ENVIRONMENT = {
    "LICENSING_KEYCODE_KEYS": "1:" + base64.b64encode(SECRET).decode(),
    "LICENSING_KEYCODE_KEY_ID": "1",
    "LICENSING_SIGNING_KEY": base64.b64encode(b"\x07" * 32).decode(),
    "LICENSING_SIGNING_KEY_ID": "bench",
}


def django_with_keys() -> None:
    """Keys in the environment and Django set up, for the benchmarks without a database."""
    os.environ.update(KEYS_ENVIRONMENT)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channeldesk.settings")
    import django

    django.setup()


def setup(name: str) -> str:
    """Keys in the environment, Django on the scratch database; returns the vendor."""
    os.environ.update(KEYS_ENVIRONMENT)
    return setup_scratch_django(name)


def load_contracts(contracts: int) -> float:
    """Empty the registers and write `contracts` keyed enterprise contracts; returns seconds."""
    start = time.perf_counter()
    execute(
        "TRUNCATE licensing_heartbeat, licensing_installation, licensing_complianceepisode, "
        "licensing_compliancerecord, licensing_licencecertificate, licensing_keycode, "
        "contracts_reminderevent, contracts_reminder, contracts_contract, "
        "contracts_customerassignment, contracts_customer RESTART IDENTITY CASCADE"
    )
    product = bench_product(list_price="30.00")
    bench_partners_insert(PARTNERS)
    customers = max(1, contracts * 2 // 3)
    execute(
        "INSERT INTO contracts_customer (customer_number, name, street, postal_code, city, "
        "country, language, sector, contact_name, contact_email, created_at, updated_at) "
        "SELECT 'KB-' || lpad(n::text, 8, '0'), 'Bench Customer ' || n, '', '', '', 'DE', 'de', "
        "CASE WHEN n %% 5 = 0 THEN 'public_authority' ELSE 'manufacturing' END, '', '', "
        "now(), now() FROM generate_series(1, %s) AS n",
        [customers],
    )
    bench_customers_assign(PARTNERS)
    execute(
        "INSERT INTO contracts_contract (contract_number, customer_id, partner_id, product_id, "
        "seats, start_date, end_date, status, cancellation_reason, created_at, updated_at) "
        "SELECT 'VL-' || lpad(n::text, 8, '0'), c.id, a.partner_id, %s, 5 + n %% 20, "
        "%s::date - (n %% 300), %s::date - (n %% 300) + 364, 'active', '', now(), now() "
        "FROM generate_series(1, %s) AS n "
        "JOIN contracts_customer c ON c.id = 1 + n %% %s "
        "JOIN contracts_customerassignment a ON a.customer_id = c.id",
        [product.pk, TODAY, TODAY, contracts, customers],
    )
    execute(
        "INSERT INTO licensing_keycode (contract_id, key_id, serial, status, issued_at, "
        "revocation_reason) SELECT id, 1, id, 'active', now(), '' FROM contracts_contract"
    )
    execute("ANALYZE")
    return time.perf_counter() - start


def load_installations(per_contract_average: int) -> float:
    """Installations for every keycode: on average `per_contract_average`, a quarter of the
    contracts well over their seats; last seen within the last days (a few long ago)."""
    start = time.perf_counter()
    execute("TRUNCATE licensing_heartbeat, licensing_installation RESTART IDENTITY")
    execute(
        "INSERT INTO licensing_installation (keycode_id, fingerprint, installation_uuid, "
        "hostname_hash, product_version, state, first_seen_on, last_seen_on, last_seen_at) "
        "SELECT k.id, lpad(to_hex(k.id), 16, '0') || lpad(to_hex(g.n), 16, '0'), "
        "md5(k.id || ':' || g.n)::uuid, '', '12.5.1', 'active', %s::date - 200, "
        "%s::date - (g.n %% 40), now() "
        "FROM licensing_keycode k JOIN contracts_contract c ON c.id = k.contract_id "
        "CROSS JOIN LATERAL generate_series(1, CASE WHEN k.id %% 4 = 0 "
        "THEN %s + c.seats ELSE %s * 2 / 3 END) AS g(n)",
        [TODAY, TODAY, per_contract_average, per_contract_average],
    )
    execute("ANALYZE licensing_installation")
    return time.perf_counter() - start


def code_for(serial: int) -> str:
    from channeldesk.licensing.keycodes import keycode_compose

    return keycode_compose(key_id=1, serial=serial, secret=SECRET)
