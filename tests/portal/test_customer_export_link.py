"""The customer list's download link sits in the part htmx replaces, so after a
search or a filter it carries the filters of the list it sits above (it went stale before)."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from tests.portal.world import PortalWorld, page_text


def test_the_table_htmx_swaps_in_links_the_export_with_the_new_filters(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    client = client_for("partner_a_user")

    text = page_text(
        client, "/portal/customers/", {"q": "Anton", "sector": "other", "page": "1"}, htmx=True
    )

    assert "<html" not in text
    assert 'href="/portal/customers.csv?q=Anton&amp;sector=other"' in text
    assert 'href="/portal/customers.csv?q=Anton&amp;sector=other&amp;format=xlsx"' in text


def test_the_full_page_has_the_export_link_once(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    text = client_for("partner_a_user").get("/portal/customers/").content.decode()

    # The CSV link and the Excel link beside it, each once.
    assert text.count('href="/portal/customers.csv') == 2
    assert text.count('href="/portal/customers.csv"') == 1
    assert text.count('href="/portal/customers.csv?format=xlsx"') == 1
