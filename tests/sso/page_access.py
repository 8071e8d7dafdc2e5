"""Page access rows of allauth's social sign-in (the identity provider of vendor staff,
docs/sso.md), as the suite runs: no provider configured."""

from __future__ import annotations

from tests.portal.page_table import SIGN_IN, PageCase, answers, to_everyone

ACCOUNT_PAGE = answers(200, anonymous=302)
# allauth's OpenID Connect views answer 404 for a provider that is not configured.
PROVIDER = "company"


def _provider(world: object) -> dict[str, str]:
    return {"provider_id": PROVIDER}


PAGES: dict[str, list[PageCase]] = {
    "socialaccount_login_cancelled": [PageCase("sign-in cancelled notice", answers(200))],
    "socialaccount_login_error": [PageCase("sign-in failed notice", answers(401))],
    "socialaccount_signup": [
        PageCase(
            "no sign-up in progress",
            answers(302),
            redirects=to_everyone(SIGN_IN),
        )
    ],
    "socialaccount_connections": [PageCase("linked company accounts", ACCOUNT_PAGE)],
    "openid_connect_login": [
        PageCase("no provider configured", answers(404), kwargs=_provider),
        PageCase("no provider configured", answers(404), kwargs=_provider, method="post"),
    ],
    "openid_connect_callback": [
        PageCase("no provider configured", answers(404), kwargs=_provider),
    ],
}
