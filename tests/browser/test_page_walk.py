"""Every page, as every persona, in German and in English, in Chromium at 1280 px: names not
codes, dates in the reader's convention, nothing wider than the window, and no serious or
critical accessibility violation (axe-core, scripts/browser-deps installs it).

One browser per language (Chromium's `--lang` and the context's locale), one context per
persona, the pages one after the other. The walk of a language runs once and both tests of
that language read its result (the walk takes most of the time; see `_walked`).
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import re
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from playwright.sync_api import Browser, Page, Playwright

from channeldesk.feedback.services import feedback_give
from channeldesk.partners.models import Partner
from channeldesk.tiers.models import AssignmentSource, TierAssignment, TierPolicy
from tests.browser.factories import CHROMIUM, CHROMIUM_ARGS
from tests.browser.walk import (
    AXE,
    LANGUAGES,
    PAGE_FACTS,
    PAGES,
    WIDTH,
    PageResult,
    axe_findings,
    language_list_findings,
    layout_findings,
    raw_codes,
    session_cookie,
    text_findings,
)
from tests.licensing.admin_rows import admin_rows as licensing_rows
from tests.personas import Personas
from tests.portal.world import PortalWorld, build_portal_world, migration_data_ensure
from tests.training.factories import record
from tests.usage.worlds import october_statements

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# Findings known today, each owned by the engineer fixing it. A known finding is an
# exact (persona, path, language, finding) and matches nothing else; persona "*" stands for
# every persona that opens the page, path "*" for every page (a finding of the layout). Remove
# a line when its finding is fixed: a line that no longer matches fails the test, so the list
# never outlives the bug.
KNOWN_FINDINGS: set[tuple[str, str, str, str]] = set()

_walked: dict[str, list[PageResult]] = {}


@pytest.fixture
def walk_world(personas: Personas) -> dict[str, str]:
    """The portal world, with a statement, a keycode, compliance records, training records and
    a partner's feedback, so every page has rows to show."""
    migration_data_ensure()
    courses_ensure()
    world: PortalWorld = build_portal_world(personas)
    statements = october_statements(personas.partner_a, personas.partner_b)
    licensing_rows(personas)
    record(personas.partner_a, session_date=dt.date(2025, 9, 1))
    feedback_give(
        policy=world.draft,
        partner=personas.partner_a,
        author=personas.partner_a_user,
        stance="concerns",
        comment="Vier Aufträge im Halbjahr sind viel für uns.",
        current_tier="silver",
        projected_tier="authorized",
    )
    evaluated_gold(personas.partner_b)
    return {"statement": statements["A-1000"].number}


def evaluated_gold(partner: Partner) -> None:
    """Partner B became Gold by an evaluation on 1 July 2026, with its reasons (as the tiers
    services record them): the pages that explain a tier have criteria to name."""
    start = dt.date(2026, 7, 1)
    TierAssignment.objects.filter(partner=partner, source=AssignmentSource.INITIAL).update(
        valid_to=start
    )
    policy = TierPolicy.objects.get(code="previous")
    reason = {"tier": "gold", "criterion": "revenue", "comparison": "at_least", "holds": True}
    TierAssignment.objects.create(
        partner=partner,
        policy=policy,
        tier=policy.tiers.get(code="gold"),
        valid_from=start,
        source=AssignmentSource.EVALUATION,
        reasons=[{**reason, "measured": "128063.16", "threshold": "25000"}],
    )


def courses_ensure() -> None:
    """Put back the training company's courses (a data migration) a flush removed."""
    migration = importlib.import_module("channeldesk.training.migrations.0002_courses")
    migration.forwards(django_apps, None)


def _walk(
    playwright: Playwright, base: str, personas: Personas, world: dict[str, str], language: str
) -> list[PageResult]:
    locale = LANGUAGES[language]
    browser: Browser = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_ARGS, f"--lang={locale}"]
    )
    axe_source = AXE.read_text(encoding="utf-8") if AXE.exists() else None
    # A person's user name is a name they chose, not a code, even where the test world's
    # support desk is called `support` (the audit trail names people by user name).
    codes = raw_codes(language) - {user.get_username() for user in personas.all().values()}
    results = []
    try:
        for persona, visits in PAGES.items():
            context = browser.new_context(
                locale=locale, viewport={"width": WIDTH, "height": 900}, base_url=base
            )
            if axe_source is not None:
                context.add_init_script(script=axe_source)
            if persona == "anonymous":
                cookies = [{"name": "django_language", "value": language, "url": base}]
            else:
                user = personas.all()[persona]
                cookies = session_cookie(user, language=language, base=base)
            context.add_cookies(cookies)  # type: ignore[arg-type]
            page = context.new_page()
            for visit in visits:
                path = visit.path.format(**world)
                results.append(
                    _visit(
                        page, path, visit.status, persona=persona, language=language, codes=codes
                    )
                )
            context.close()
    finally:
        browser.close()
    return results


def _visit(
    page: Page, path: str, expected: int, *, persona: str, language: str, codes: set[str]
) -> PageResult:
    """Open one page and write down what is wrong with it."""
    response = page.goto(path)
    status = response.status if response is not None else None
    result = PageResult(persona, language, path, status)
    if status != expected:
        result.text_findings.append(f"status {status}, expected {expected}")
    facts: dict[str, Any] = page.evaluate(PAGE_FACTS)
    if os.environ.get("PAGE_WALK_DUMP"):
        _dump(page, facts["text"], language=language, persona=persona, path=path)
    result.text_findings += text_findings(
        text=facts["text"], cells=facts["cells"], language=language, codes=codes
    )
    result.text_findings += language_list_findings(facts)
    result.text_findings += layout_findings(facts)
    if AXE.exists():
        result.axe_findings = axe_findings(page)
    return result


def _dump(page: Page, text: str, *, language: str, persona: str, path: str) -> None:
    """With PAGE_WALK_DUMP=1: each page's visible text and a screenshot, to find a finding's
    source (var/page-walk/<language>/<persona>/)."""
    folder = Path(settings.VAR_DIR) / "page-walk" / language / persona
    folder.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w-]+", "_", path.strip("/")) or "root"
    (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _results(
    language: str, playwright: Playwright, live_server: Any, personas: Personas, world: Any
) -> list[PageResult]:
    if language not in _walked:
        _walked[language] = _walk(playwright, live_server.url, personas, world, language)
        report = Path(settings.VAR_DIR) / f"page-walk-{language}.json"
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(json.dumps([asdict(result) for result in _walked[language]], indent=1))
    return _walked[language]


def _unexpected(results: list[PageResult], attribute: str, language: str) -> list[str]:
    """The findings not in KNOWN_FINDINGS, one line each, and the known findings of this kind
    and language that the walk no longer meets (fixed: remove them from the list)."""
    lines, seen = [], set()
    for result in results:
        for finding in getattr(result, attribute):
            keys = {
                (persona, path, result.language, finding)
                for persona in (result.persona, "*")
                for path in (result.path, "*")
            }
            if keys & KNOWN_FINDINGS:
                seen |= keys & KNOWN_FINDINGS
                continue
            lines.append(f"{result.path} as {result.persona} ({result.language}): {finding}")
    axe = attribute == "axe_findings"
    for known in KNOWN_FINDINGS - seen:
        if known[2] == language and known[3].startswith("axe ") == axe:
            lines.append(f"fixed, remove from KNOWN_FINDINGS: {known}")
    return lines


@pytest.fixture(scope="module", autouse=True)
def _chromium() -> None:
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (scripts/system-packages)")


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_every_page_shows_names_and_local_dates_and_fits_1280_px(
    language: str,
    playwright: Playwright,
    live_server: Any,
    personas: Personas,
    walk_world: dict[str, str],
) -> None:
    results = _results(language, playwright, live_server, personas, walk_world)

    assert len(results) == sum(len(visits) for visits in PAGES.values())
    unexpected = _unexpected(results, "text_findings", language)
    assert not unexpected, "\n".join(unexpected)


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_every_page_has_no_serious_or_critical_accessibility_violation(
    language: str,
    playwright: Playwright,
    live_server: Any,
    personas: Personas,
    walk_world: dict[str, str],
) -> None:
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed ({AXE}): run scripts/browser-deps")
    results = _results(language, playwright, live_server, personas, walk_world)

    unexpected = _unexpected(results, "axe_findings", language)
    assert not unexpected, "\n".join(unexpected)
