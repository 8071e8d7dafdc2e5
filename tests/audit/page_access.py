"""Page access rows of the audit trail: channel managers only. The support desk does not see
it (it records staff decisions, keycode reveals and logins' roles, beyond a phone desk's
partner look-ups); partner users never do."""

from __future__ import annotations

from tests.portal.page_table import MANAGER_PAGE, PageCase, answers

PAGES: dict[str, list[PageCase]] = {
    "backoffice:audit": [
        PageCase("the whole trail", MANAGER_PAGE),
        PageCase(
            "filtered by partner, user, kind and dates",
            MANAGER_PAGE,
            query={
                "partner": "A-1000",
                "user": "staff",
                "kind": "partners.partner.create",
                "since": "2026-01-01",
                "until": "2026-12-31",
            },
        ),
        PageCase(
            "a partner number that names no partner",
            answers(403, anonymous=302, staff=400),
            query={"partner": "Z-9999"},
        ),
    ],
}
