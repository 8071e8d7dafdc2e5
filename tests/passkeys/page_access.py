"""Page access rows of allauth's passkey pages (`/accounts/2fa/webauthn/…`, docs/security.md,
"Passkeys"), found by tests/domains.py.

Every signed-in login manages only its own passkeys: another login's passkey is 404 to
everyone, and changing one asks for the password first (allauth's reauthentication), so the
rows of a stranger's passkey show the confirmation step, never the passkey. The owner's own
pages, the ceremonies and the refusals are tested in tests/security/test_passkeys.py and
tests/browser/test_passkeys.py.
"""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator

from tests.access import answers
from tests.factories import UserFactory
from tests.portal.page_table import PageCase, to_everyone
from tests.portal.world import PortalWorld

SIGNED_IN = answers(200, anonymous=302)
CONFIRM = "/accounts/reauthenticate/"
CONFIRM_ADD = to_everyone(CONFIRM + "?next=%2Faccounts%2F2fa%2Fwebauthn%2Fadd%2F")
CONFIRM_KEY = to_everyone(CONFIRM + "?next=%2Faccounts%2F2fa%2Fwebauthn%2Fkeys%2F")


def _strangers_passkey(world: PortalWorld) -> dict[str, Any]:
    """A passkey of a login that is none of the personas."""
    owner = UserFactory(username="pia")
    passkey = Authenticator.objects.create(
        user=owner,
        type=Authenticator.Type.WEBAUTHN,
        data={"name": "Pia's laptop", "credential": {}},
    )
    return {"pk": passkey.pk}


PAGES: dict[str, list[PageCase]] = {
    "mfa_list_webauthn": [PageCase("own passkeys", SIGNED_IN)],
    # Adding a passkey asks for the password first (the personas confirmed none yet).
    "mfa_add_webauthn": [PageCase("add a passkey", answers(302), redirects=CONFIRM_ADD)],
    # Confirming with a passkey needs one: without, the password confirms.
    "mfa_reauthenticate_webauthn": [
        PageCase(
            "no passkey: confirm with the password", answers(302), redirects=to_everyone(CONFIRM)
        )
    ],
    "mfa_edit_webauthn": [
        PageCase(
            "a stranger's passkey: confirm first, then 404",
            answers(302),
            kwargs=_strangers_passkey,
            redirects=CONFIRM_KEY,
        )
    ],
    "mfa_remove_webauthn": [
        PageCase(
            "a stranger's passkey: confirm first, then 404",
            answers(302),
            kwargs=_strangers_passkey,
            redirects=CONFIRM_KEY,
        ),
        PageCase(
            "removing a stranger's passkey: confirm first, then 404",
            answers(302),
            kwargs=_strangers_passkey,
            method="post",
            redirects=CONFIRM_KEY,
        ),
    ],
    # The sign-in page's script asks it for the options (JSON); a page visit goes to the
    # sign-in page, a signed-in login to the site root.
    "mfa_login_webauthn": [
        PageCase(
            "passkey sign-in",
            answers(302),
            redirects=to_everyone("/", anonymous="/accounts/login/"),
        )
    ],
}
