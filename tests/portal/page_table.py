"""Who gets which answer from every page outside /api/ and /admin/: the table's shape.

Every URL pattern of the site that is not under /api/ (tests/api/access_table.py) or /admin/
(tests/admin) needs a row, keyed by its URL name, in some `tests/<domain>/page_access.py`
(`PAGES: dict[str, list[PageCase]]`, found like the other per-domain hooks in tests/domains.py).
`test_page_access.py` walks them for every persona and fails when a pattern has no row or a row
names no pattern, so a new page cannot ship without its access rules.

- `expect` gives the status per persona: `answers(default, persona=status, ...)`.
- A 302 must lead where `redirects` says for the persona (default: the sign-in page), so "not
  signed in" is told apart from any other redirect.
- For another partner's object the answer is 404, never 403.
- A refused POST (403/404/405) is also checked to have changed no row in any table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.access import PERSONA_NAMES, AccessCase, answers
from tests.portal.world import PortalWorld

SIGN_IN = "/accounts/login/"


@dataclass(frozen=True)
class PageCase(AccessCase[PortalWorld]):
    """A row of a page table: an access case whose 302 must lead where `redirects` says."""

    # Where a 302 must point, per persona (a prefix of the Location); the sign-in page unless
    # given here.
    redirects: dict[str, str] = field(default_factory=dict)

    def redirect_for(self, persona: str) -> str:
        return self.redirects.get(persona, SIGN_IN)


def to_everyone(prefix: str, *, anonymous: str = SIGN_IN) -> dict[str, str]:
    """Every persona is redirected to `prefix` (the anonymous visitor to `anonymous`)."""
    return dict.fromkeys(PERSONA_NAMES, prefix) | {"anonymous": anonymous}


# Presets for the usual shapes.
PARTNER_PAGE = answers(200, anonymous=302, outsider=403, support=403, staff=403)
PARTNER_A_PAGE = answers(
    200, anonymous=302, outsider=403, support=403, staff=403, partner_b_user=404
)
PARTNER_B_PAGE = answers(
    200,
    anonymous=302,
    outsider=403,
    support=403,
    staff=403,
    partner_a_admin=404,
    partner_a_user=404,
)
PARTNER_ADMIN_PAGE = answers(403, anonymous=302, partner_a_admin=200)
STAFF_PAGE = answers(403, anonymous=302, support=200, staff=200)
MANAGER_PAGE = answers(403, anonymous=302, staff=200)
