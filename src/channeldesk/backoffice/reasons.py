"""Why a reminder or an e-mail stopped, in the reader's language.

The reminder services store a short reason with each reminder ("Too late.", "Contract
renewed.") and the outbox keeps the reason a message was withdrawn in its last error. Those
stored sentences come from a fixed set, so they serve as codes: the back office looks each one
up here and shows its translation. A dismissal keeps the words staff typed after a translated
prefix. Anything else (a reason written before this list, or a technical error text) is shown
as stored, so no old row becomes unreadable.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# The stored sentence -> its text for people. The keys are written by contracts.reminders
# (planning, sending, withdrawal, dispatch, services); a new one there belongs here too.
STORED_REASONS: dict[str, Promise] = {
    "Too late.": _("Too late: the day it was due has passed."),
    "Contract ended.": _("The contract has ended."),
    "Contract renewed.": _("The contract was renewed."),
    "Contract cancelled.": _("The contract was cancelled."),
    "End date changed.": _("The contract's end date changed."),
    "Rule switched off.": _("The reminder rule was switched off."),
    "Another schedule applies.": _("Another reminder schedule applies."),
    "Released by staff.": _("Released by staff to be sent again."),
    "The letter storage did not take the letter.": _("The letter storage did not take the letter."),
    "Outcome unknown: the dispatcher stopped while storing the letter.": _(
        "Outcome unknown: the dispatcher stopped while storing the letter."
    ),
}
DISMISSED_PREFIX = "Dismissed: "


def reason_text(stored: str) -> str:
    """The stored reason as the reader reads it: translated when it is one of the known
    sentences, with the staff's own words after a translated prefix for a dismissal, and as
    stored otherwise."""
    known = STORED_REASONS.get(stored.strip())
    if known is not None:
        return str(known)
    if stored.startswith(DISMISSED_PREFIX):
        return gettext("Dismissed: %(reason)s") % {"reason": stored[len(DISMISSED_PREFIX) :]}
    return stored
