"""Page access rows of the sign-in pages (docs/security-login.md) (found by tests/domains.py)."""

from __future__ import annotations

from typing import Any

from tests.portal.page_table import PageCase, answers
from tests.portal.world import PortalWorld


def _forged_invitation(world: PortalWorld) -> dict[str, Any]:
    return {"token": "forged-invitation"}


PAGES: dict[str, list[PageCase]] = {
    # Open to whoever holds the link; a forged or expired one says so and creates nothing.
    "account_invitation_accept": [
        PageCase("a forged link: the page says so", answers(400), kwargs=_forged_invitation),
        PageCase(
            "a forged link cannot be used",
            answers(400),
            kwargs=_forged_invitation,
            method="post",
            data=lambda world: {"password1": "N3ues-Passwort!", "password2": "N3ues-Passwort!"},
        ),
    ],
}
