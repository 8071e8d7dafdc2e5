"""The page walk of tests/browser/test_page_walk.py: which pages each persona opens, and what a
page must not show a person (raw codes, dates in the wrong convention, overflow at 1280 px,
serious accessibility violations found by axe-core).

A finding is one line of text naming the page, the persona, the language and what is wrong, so
a failing run reads as a to-do list. Findings already known and owned by someone are listed in
`KNOWN_FINDINGS`, each with its owner; the list shrinks to zero as they are fixed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.test import Client
from django.utils import translation

from tests.personas import sign_in as client_sign_in

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
WIDTH = 1280

# Each browser language: Chromium's --lang, the context's locale, the site's language.
LANGUAGES = {"de": "de-DE", "en": "en-US"}


@dataclass(frozen=True)
class Visit:
    """A page a persona opens, and the status it must get (403/404 are error pages)."""

    path: str
    status: int = 200


PORTAL = [
    Visit("/portal/"),
    Visit("/portal/customers/"),
    Visit("/portal/customers/K-A/"),
    Visit("/portal/renewals/"),
    Visit("/portal/statements/"),
    Visit("/portal/statements/{statement}/"),
    Visit("/portal/messages/"),
]
PARTNER_ERRORS = [Visit("/backoffice/", 403), Visit("/portal/customers/K-B/", 404)]
BACKOFFICE = [
    Visit("/backoffice/"),
    Visit("/backoffice/partners/"),
    Visit("/backoffice/partners/A-1000/"),
    Visit("/backoffice/movers/"),
    Visit("/backoffice/renewals/"),
    Visit("/backoffice/outbox/"),
    Visit("/backoffice/outbox/?tab=planned"),
    Visit("/backoffice/feedback/"),
    Visit("/backoffice/compliance/"),
    Visit("/backoffice/training/"),
    Visit("/backoffice/audit/"),
    Visit("/backoffice/audit/?partner=A-1000"),
]
ADMIN = [
    Visit("/admin/"),
    Visit("/admin/partners/partner/"),
    Visit("/admin/tiers/tierpolicy/"),
    Visit("/admin/tiers/tierassignment/"),
    Visit("/admin/contracts/contract/"),
    Visit("/admin/notifications/outboxmessage/"),
    Visit("/admin/licensing/compliancerecord/"),
    Visit("/admin/licensing/keycode/"),
    Visit("/admin/contracts/reminder/"),
    Visit("/admin/audit/auditentry/"),
]

PAGES: dict[str, list[Visit]] = {
    "partner_a_admin": [*PORTAL, Visit("/portal/colleagues/"), *PARTNER_ERRORS],
    "partner_a_user": [*PORTAL, Visit("/portal/colleagues/", 403), *PARTNER_ERRORS],
    "partner_b_user": [
        Visit("/portal/"),
        Visit("/portal/customers/"),
        Visit("/portal/customers/K-B/"),
        Visit("/portal/renewals/"),
        Visit("/portal/statements/"),
        Visit("/portal/messages/"),
        Visit("/portal/customers/K-A/", 404),
    ],
    "staff": [
        *BACKOFFICE,
        Visit("/backoffice/partners/B-2000/"),
        *ADMIN,
        Visit("/backoffice/partners/X-0000/", 404),
    ],
    "support": [
        Visit("/backoffice/"),
        Visit("/backoffice/support/?q=Alpha"),
        Visit("/backoffice/partners/"),
        Visit("/backoffice/partners/A-1000/"),
        Visit("/backoffice/renewals/", 403),
        Visit("/backoffice/audit/", 403),
        Visit("/admin/"),
        Visit("/admin/partners/partner/"),
    ],
    "anonymous": [
        Visit("/portal/"),  # the sign-in page, after the redirect
        Visit("/accounts/login/"),
        Visit("/accounts/password/reset/"),
        Visit("/accounts/signup/"),
        Visit("/no-such-page/", 404),
    ],
}


@dataclass
class PageResult:
    persona: str
    language: str
    path: str
    status: int | None
    text_findings: list[str] = field(default_factory=list)
    axe_findings: list[str] = field(default_factory=list)


def raw_codes(language: str) -> set[str]:
    """Every stored code a person must see by its name: the values of the models' choices
    whose label in `language` differs from the value (the English label of `active` is
    `active`), and the codes of the tiers and policies."""
    codes: set[str] = set()
    labels: set[str] = set()
    with translation.override(language):
        for model in apps.get_models():
            for model_field in model._meta.get_fields():
                for value, label in getattr(model_field, "flatchoices", None) or ():
                    labels.add(str(label))
                    if isinstance(value, str) and re.fullmatch(r"[a-z][a-z_]+", value):
                        codes.add(value)
    tier_model = apps.get_model("tiers", "Tier")
    policy_model = apps.get_model("tiers", "TierPolicy")
    codes |= set(tier_model.objects.values_list("code", flat=True))
    codes |= set(policy_model.objects.values_list("code", flat=True))
    # A word that is some choice's label in this language is text, not a code (the English
    # label of the partner status `authorized` is "authorized"). Languages are named in
    # themselves ("Deutsch"), never by code; two letters are too short to tell from words.
    return {code for code in codes - labels if len(code) > 2}


SNAKE_CASE = re.compile(r"(?<![\w@./-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w@.-])")
TECHNICAL_REFERENCE = re.compile(r"\b[a-z][a-z_]*@\d+\b")
CRITERION = re.compile(r"\b[a-z_]+: ?\d+(?:[.,]\d+)? ?/ ?\d+")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
TWELVE_HOUR = re.compile(r"\b\d{1,2}(?::\d{2})? ?(?:a\.m\.|p\.m\.|AM|PM|am|pm)(?!\w)|\bnoon\b")
US_DATE = re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b")


def text_findings(*, text: str, cells: list[str], language: str, codes: set[str]) -> list[str]:
    """What is wrong in a page's visible text (`text`) and its smallest text blocks (`cells`:
    the text of each element without element children, where a lone code shows). One line per
    kind, naming every offending text; dates and times by kind only (they change daily)."""
    found: dict[str, set[str]] = {
        "raw code": {cell for cell in cells if cell in codes},
        "snake_case token": set(SNAKE_CASE.findall(text)),
        "technical reference": set(TECHNICAL_REFERENCE.findall(text)),
        "raw criterion": set(CRITERION.findall(text)),
    }
    if language == "de":
        found["lowercase code in German"] = _german_codes(text, codes)
    lines = [
        f"{kind} {', '.join(repr(value) for value in sorted(values))}"
        for kind, values in found.items()
        if values
    ]
    if language == "de" and ISO_DATE.search(text):
        lines.append("ISO date in German text")
    if TWELVE_HOUR.search(text):
        lines.append("12-hour time")
    if US_DATE.search(text):
        lines.append("US date")
    return lines


# Codes that are also ordinary English words: in a German page they are English text not yet
# translated (the catalogue is written at the end of an issue), not codes. A cell holding one of
# them alone is still a raw code.
ORDINARY_WORDS = {
    "admin", "customer", "default", "draft", "letter", "notices", "other", "partner", "portal",
    "published", "training", "usage",
}  # fmt: skip


def _german_codes(text: str, codes: set[str]) -> set[str]:
    """German writes no English code words in running text: a lowercase code is one."""
    words = set(re.findall(r"(?<![\w@./-])[a-z][a-z_]+(?![\w@/-])", text))
    return words & (codes - ORDINARY_WORDS)


# The visible text, the smallest text blocks, and what sticks out to the right at 1280 px.
PAGE_FACTS = """() => {
  const width = document.documentElement.clientWidth;
  const cells = [];
  for (const element of document.body.querySelectorAll('*')) {
    if (element.children.length === 0 && element.offsetParent !== null) {
      const text = (element.innerText || '').trim();
      if (text) cells.push(text);
    }
  }
  const clipped = (element) => {
    for (let parent = element.parentElement; parent && parent !== document.body;
         parent = parent.parentElement) {
      const overflow = getComputedStyle(parent).overflowX;
      if (overflow !== 'visible') return true;
    }
    return false;
  };
  const overflowing = [];
  for (const element of document.body.querySelectorAll('*')) {
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.right <= width + 1 || clipped(element)) continue;
    if (element.parentElement && overflowing.includes(element.parentElement)) continue;
    overflowing.push(element);
  }
  const describe = (element) => {
    const name = element.tagName.toLowerCase() + (element.id ? '#' + element.id : '') +
      (element.className && typeof element.className === 'string'
        ? '.' + element.className.trim().split(/\\s+/).join('.') : '');
    const text = (element.innerText || '').trim().replace(/\\s+/g, ' ').slice(0, 60);
    return `${name} (right edge ${Math.round(element.getBoundingClientRect().right)} px) "${text}"`;
  };
  return {
    text: document.body.innerText,
    languages: Array.from(document.querySelectorAll('select[name=language] option'))
      .map((option) => option.textContent.trim()),
    cells,
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: width,
    overflowing: overflowing.slice(0, 5).map(describe),
  };
}"""

AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations
    .filter((violation) => ['serious', 'critical'].includes(violation.impact))
    .map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      targets: violation.nodes.slice(0, 3).map((node) => node.target.join(' ')),
    }));
}"""


# The language switch names each language in itself, whatever the page's language.
LANGUAGE_NAMES = {"de": "Deutsch", "en": "English"}


def language_list_findings(facts: dict[str, Any]) -> list[str]:
    names = [name for name in facts["languages"] if name not in LANGUAGE_NAMES.values()]
    if not names:
        return []
    return [f"language list names a language not in itself: {', '.join(map(repr, names))}"]


def layout_findings(facts: dict[str, Any]) -> list[str]:
    found = []
    if facts["scrollWidth"] > facts["clientWidth"]:
        found.append(
            f"horizontal overflow: the page is {facts['scrollWidth']} px wide "
            f"at {facts['clientWidth']} px"
        )
    found += [f"overflows the body: {element}" for element in facts["overflowing"]]
    return found


def axe_findings(page: Any) -> list[str]:
    return [
        f"axe {violation['impact']} {violation['id']}: {violation['help']} "
        f"at {', '.join(violation['targets'])}"
        for violation in page.evaluate(AXE_RUN)
    ]


def session_cookie(user: Any, *, language: str, base: str) -> list[dict[str, Any]]:
    """The cookies of a session signed in as the real login leaves it (tests.conftest.sign_in),
    with the language chosen on the site's switch."""
    preference_model = apps.get_model("core", "UserPreference")
    preference_model.objects.update_or_create(user=user, defaults={"language": language})
    client = Client()
    client_sign_in(client, user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    return [
        {"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base},
        {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base},
    ]
