"""Page access rows of the portal, the site root, the language switch and sign-in (allauth)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from channeldesk.licensing.services import keycode_issue
from tests.portal.page_table import (
    PARTNER_A_PAGE,
    PARTNER_ADMIN_PAGE,
    PARTNER_B_PAGE,
    PARTNER_PAGE,
    SIGN_IN,
    PageCase,
    answers,
    to_everyone,
)
from tests.portal.world import PortalWorld
from tests.usage.worlds import october_statements

PORTAL = "/portal/"
BACKOFFICE = "/backoffice/"


def _customer_a(world: PortalWorld) -> dict[str, Any]:
    return {"customer_number": world.customer_a.customer_number}


def _customer_b(world: PortalWorld) -> dict[str, Any]:
    return {"customer_number": world.customer_b.customer_number}


def _letter_a(world: PortalWorld) -> dict[str, Any]:
    return {"reminder_id": world.letter_a.pk}


def _letter_b(world: PortalWorld) -> dict[str, Any]:
    return {"reminder_id": world.letter_b.pk}


def _message_letter_a(world: PortalWorld) -> dict[str, Any]:
    assert world.letter_a.document_id is not None
    return {"document_id": world.letter_a.document_id}


def _message_letter_b(world: PortalWorld) -> dict[str, Any]:
    assert world.letter_b.document_id is not None
    return {"document_id": world.letter_b.document_id}


def _keycode_a(world: PortalWorld) -> dict[str, Any]:
    keycode_issue(contract=world.contract_soon)
    return {"contract_number": world.contract_soon.contract_number}


def _keycode_b(world: PortalWorld) -> dict[str, Any]:
    keycode_issue(contract=world.contract_b)
    return {"contract_number": world.contract_b.contract_number}


def _statements_issued(world: PortalWorld) -> dict[str, Any]:
    october_statements(world.personas.partner_a, world.personas.partner_b)
    return {}


def _statement_a(world: PortalWorld) -> dict[str, Any]:
    statements = october_statements(world.personas.partner_a, world.personas.partner_b)
    return {"number": statements[world.personas.partner_a.partner_number].number}


def _statement_b(world: PortalWorld) -> dict[str, Any]:
    statements = october_statements(world.personas.partner_a, world.personas.partner_b)
    return {"number": statements[world.personas.partner_b.partner_number].number}


def _arne(world: PortalWorld) -> dict[str, Any]:
    return {"user_id": world.personas.partner_a_user.pk}


def _bob(world: PortalWorld) -> dict[str, Any]:
    return {"user_id": world.personas.partner_b_user.pk}


def _feedback(world: PortalWorld) -> dict[str, Any]:
    return {"stance": "concerns", "comment": "Gold needs too many orders."}


def _reset_key(world: PortalWorld) -> dict[str, Any]:
    return {"uidb36": "zz", "key": "not-a-key"}


def partner_answers(status: int) -> dict[str, int]:
    """Partner users get `status`; vendor staff and outsiders 403, the anonymous visitor goes to
    sign in."""
    return answers(status, anonymous=302, outsider=403, support=403, staff=403)


def _given(**values: Any) -> Callable[[PortalWorld], dict[str, Any]]:
    """URL arguments or a form that do not depend on the world."""
    return lambda world: values


PARTNER_NOT_FOUND = partner_answers(404)
PARTNERS_TO_PORTAL = dict.fromkeys(("partner_a_admin", "partner_a_user", "partner_b_user"), PORTAL)
# Signed-in pages of allauth: the sign-in page for the anonymous visitor, 200 for every login.
ACCOUNT_PAGE = answers(200, anonymous=302)
# Pages for visitors who are not signed in: a signed-in login is sent on to the site root.
ENTRANCE_PAGE = answers(302, anonymous=200)
SIGNED_IN_TO_ROOT = to_everyone("/", anonymous="/")


def _redirected(label: str, prefix: str, *, anonymous: str = SIGN_IN) -> PageCase:
    """Every persona is redirected to `prefix` (the anonymous visitor to `anonymous`)."""
    return PageCase(label, answers(302), redirects=to_everyone(prefix, anonymous=anonymous))


PAGES: dict[str, list[PageCase]] = {
    "site-root": [
        PageCase(
            "partners go to the portal, staff to the back office",
            answers(302, outsider=403),
            redirects=PARTNERS_TO_PORTAL | {"support": BACKOFFICE, "staff": BACKOFFICE},
        )
    ],
    "set_language": [
        PageCase(
            "switch to English",
            answers(302),
            method="post",
            data=_given(language="en", next="/portal/"),
            redirects=to_everyone("/portal/", anonymous="/portal/"),
        )
    ],
    # --- The portal ----------------------------------------------------------------------------
    "portal:home": [PageCase("home", PARTNER_PAGE)],
    "portal:feedback": [
        PageCase(
            "give feedback on the open draft",
            answers(302, outsider=403, support=403, staff=403),
            method="post",
            data=_feedback,
            redirects=PARTNERS_TO_PORTAL,
        ),
        PageCase(
            "invalid feedback changes nothing",
            partner_answers(400),
            method="post",
            data=_given(stance="maybe"),
        ),
        PageCase("a GET is not offered", partner_answers(405)),
    ],
    "portal:customers": [
        PageCase("list", PARTNER_PAGE),
        PageCase("search and sort", PARTNER_PAGE, query={"q": "Anton", "sort": "-contracts"}),
        PageCase("under-licensed only", PARTNER_PAGE, query={"licence": "under_licensed"}),
    ],
    "portal:customers-csv": [
        PageCase("every customer as CSV", PARTNER_PAGE),
        PageCase("every customer as Excel", PARTNER_PAGE, query={"format": "xlsx"}),
        PageCase(
            "search, filters and sort as Excel",
            PARTNER_PAGE,
            query={"q": "Anton", "sort": "-contracts", "format": "xlsx"},
        ),
        PageCase(
            "search, filters and sort as CSV",
            PARTNER_PAGE,
            query={"q": "Anton", "sort": "-contracts", "sector": "manufacturing"},
        ),
    ],
    "portal:customer": [
        PageCase("partner A's customer", PARTNER_A_PAGE, kwargs=_customer_a),
        PageCase("partner B's customer", PARTNER_B_PAGE, kwargs=_customer_b),
        PageCase("unknown customer", PARTNER_NOT_FOUND, kwargs=_given(customer_number="K-404")),
    ],
    "portal:letter": [
        PageCase("partner A's customer's letter", PARTNER_A_PAGE, kwargs=_letter_a),
        PageCase("partner B's customer's letter", PARTNER_B_PAGE, kwargs=_letter_b),
    ],
    "portal:keycode": [
        PageCase("partner A's customer's keycode", PARTNER_A_PAGE, kwargs=_keycode_a),
        PageCase("partner B's customer's keycode", PARTNER_B_PAGE, kwargs=_keycode_b),
    ],
    "portal:renewals": [PageCase("next 90 days", PARTNER_PAGE)],
    "portal:renewals-csv": [
        PageCase("CSV export", PARTNER_PAGE),
        PageCase("Excel export", PARTNER_PAGE, query={"format": "xlsx"}),
        PageCase("an unknown file format", partner_answers(400), query={"format": "ods"}),
    ],
    "portal:statements": [
        PageCase("none issued yet", PARTNER_PAGE),
        PageCase("each partner's own", PARTNER_PAGE, kwargs=_statements_issued),
    ],
    "portal:statement": [
        PageCase("partner A's statement", PARTNER_A_PAGE, kwargs=_statement_a),
        PageCase("partner B's statement", PARTNER_B_PAGE, kwargs=_statement_b),
        PageCase("unknown statement", PARTNER_NOT_FOUND, kwargs=_given(number="US-2026-10-X-404")),
    ],
    "portal:messages": [
        PageCase("list", PARTNER_PAGE),
        PageCase("each partner's own, with statements", PARTNER_PAGE, kwargs=_statements_issued),
        PageCase("second page", PARTNER_PAGE, query={"page": "2"}),
    ],
    "portal:message-letter": [
        PageCase("partner A's letter", PARTNER_A_PAGE, kwargs=_message_letter_a),
        PageCase("partner B's letter", PARTNER_B_PAGE, kwargs=_message_letter_b),
        PageCase("no such letter", PARTNER_NOT_FOUND, kwargs=_given(document_id=999999)),
    ],
    "portal:colleagues": [
        PageCase("list", PARTNER_ADMIN_PAGE),
        PageCase(
            "an invitation without an address is refused",
            answers(403, anonymous=302, partner_a_admin=400),
            method="post",
            data=_given(first_name="Ida", last_name="Neu", role="user"),
        ),
    ],
    "portal:colleague-remove": [
        PageCase(
            "remove a colleague of partner A",
            answers(403, anonymous=302, partner_a_admin=302),
            method="post",
            kwargs=_arne,
            redirects={"partner_a_admin": "/portal/colleagues/"},
        ),
        PageCase(
            "another partner's user is not found",
            answers(403, anonymous=302, partner_a_admin=404),
            method="post",
            kwargs=_bob,
        ),
    ],
    # --- Sign-in and account pages (django-allauth) --------------------------------------------
    "account_login": [PageCase("sign-in form", ENTRANCE_PAGE, redirects=SIGNED_IN_TO_ROOT)],
    "account_logout": [
        PageCase("sign-out confirmation", ACCOUNT_PAGE, redirects=SIGNED_IN_TO_ROOT)
    ],
    "account_inactive": [PageCase("account inactive notice", answers(200))],
    "account_signup": [PageCase("sign-up is closed", ENTRANCE_PAGE, redirects=SIGNED_IN_TO_ROOT)],
    "account_reauthenticate": [PageCase("confirm the password", ACCOUNT_PAGE)],
    # Codes by e-mail are off: the code pages send a signed-in login back to the password.
    "account_request_reauthentication_code": [
        _redirected("codes are off", "/accounts/reauthenticate/")
    ],
    "account_confirm_reauthentication_code": [
        _redirected("no code was requested", "/accounts/reauthenticate/code/")
    ],
    "account_email": [PageCase("e-mail addresses", ACCOUNT_PAGE)],
    "account_email_verification_sent": [PageCase("verification sent", answers(200))],
    "account_change_password": [PageCase("change password", ACCOUNT_PAGE)],
    "account_set_password": [
        _redirected("logins with a password change it instead", "/accounts/password/change/")
    ],
    "account_reset_password": [PageCase("request a reset", answers(200))],
    "account_confirm_login_code": [
        _redirected("no sign-in by code in progress", "/", anonymous="/accounts/login/")
    ],
    "account_confirm_email": [
        PageCase(
            "an unknown key: the page says the link is invalid",
            answers(200),
            kwargs=_given(key="unknown"),
        )
    ],
    "account_reset_password_from_key_done": [PageCase("reset done", answers(200))],
    "account_reset_password_from_key": [
        PageCase("a wrong key is refused on the page", answers(200), kwargs=_reset_key)
    ],
    "account_reset_password_done": [PageCase("reset requested", answers(200))],
    "mfa_index": [PageCase("two-factor overview", ACCOUNT_PAGE)],
    "mfa_authenticate": [
        PageCase("no sign-in in progress", answers(302), redirects=SIGNED_IN_TO_ROOT)
    ],
    # Without TOTP, confirming falls back to the password; setting TOTP up asks for it first
    # (a login made by the tests' force_login has not confirmed its password recently). Vendor
    # staff always have TOTP (`tests.conftest.sign_in` gives them an authenticator), so they
    # confirm with a code, and switching TOTP off asks them to confirm first.
    "mfa_reauthenticate": [
        PageCase(
            "no TOTP: confirm with the password; staff confirm with their code",
            answers(302, support=200, staff=200),
            redirects=to_everyone("/accounts/reauthenticate/"),
        )
    ],
    "mfa_activate_totp": [
        _redirected(
            "set up TOTP after confirming the password",
            "/accounts/reauthenticate/?next=%2Faccounts%2F2fa%2Ftotp",
        )
    ],
    "mfa_deactivate_totp": [
        PageCase(
            "no TOTP to switch off; staff confirm before switching theirs off",
            answers(404, anonymous=302, support=302, staff=302),
            redirects={
                "anonymous": "/accounts/login/",
                "support": "/accounts/reauthenticate/?next=%2Faccounts%2F2fa%2Ftotp%2Fdeactivate",
                "staff": "/accounts/reauthenticate/?next=%2Faccounts%2F2fa%2Ftotp%2Fdeactivate",
            },
        )
    ],
    "mfa_view_recovery_codes": [PageCase("no codes yet", answers(404, anonymous=302))],
    "mfa_generate_recovery_codes": [
        _redirected(
            "after confirming the password",
            "/accounts/reauthenticate/?next=%2Faccounts%2F2fa%2Frecovery",
        )
    ],
    "mfa_download_recovery_codes": [PageCase("no codes yet", answers(404, anonymous=302))],
}
