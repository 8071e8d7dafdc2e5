"""The letter-template registry: each domain registers its kinds of letter from `ready()`, one
template per kind, and every registered template renders in German and in English."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pdfplumber
import pytest

from channeldesk.contracts.reminders.letters import LETTER_TEMPLATE as RENEWAL_KIND
from channeldesk.documents import composition
from channeldesk.documents.composition import (
    LETTER_TEMPLATES,
    LetterTemplate,
    LetterTemplateConflict,
    letter_compose,
    letter_template,
    letter_template_register,
    letter_text,
)
from channeldesk.documents.letters import Contact, InformationBlock, LetterError
from channeldesk.documents.services import letter_render
from channeldesk.tiers.notice_texts import LETTER_KIND as TIER_NOTICE_KIND
from channeldesk.usage.statements import PDF_KIND as STATEMENT_KIND

RECIPIENT = ("Müller Maschinenbau GmbH", "Industriestraße 12", "70565 Stuttgart")
INFORMATION = InformationBlock(
    date=dt.date(2026, 10, 17),
    our_reference="R-1",
    contact=Contact(name="Alpha Systemhaus GmbH", phone="+49 40 1234567", email="a@alpha.example"),
)
# The kinds of letter the code composes and stores; every one registered, nothing else.
KINDS_SENT = (RENEWAL_KIND, STATEMENT_KIND, TIER_NOTICE_KIND)
# One value of each type a template may declare, for filling any registered template.
SAMPLE_VALUES: dict[type, object] = {
    str: "Beispiel",
    int: 2,
    bool: True,
    dt.date: dt.date(2026, 12, 1),
    Decimal: Decimal("12.50"),
    list: [],
}


def sample_context(registered: LetterTemplate) -> dict[str, object]:
    """Every key of the template, optional ones too, with a value of its declared type."""
    return {key: SAMPLE_VALUES[expected] for key, expected in registered.fields.items()}


@pytest.fixture
def empty_registry(monkeypatch: pytest.MonkeyPatch) -> dict[str, LetterTemplate]:
    """A registry of its own, so a test's registrations do not outlive it."""
    registry: dict[str, LetterTemplate] = {}
    monkeypatch.setattr(composition, "LETTER_TEMPLATES", registry)
    return registry


def test_every_letter_kind_the_code_sends_is_registered_after_startup() -> None:
    assert set(LETTER_TEMPLATES) == set(KINDS_SENT)
    assert {kind: registered.template for kind, registered in LETTER_TEMPLATES.items()} == {
        "renewal": "contracts/letters/renewal",
        "usage_statement": "usage/letters/usage_statement",
        "tier_notice": "tiers/letters/tier_notice",
    }
    assert all(kind == registered.kind for kind, registered in LETTER_TEMPLATES.items())


def test_a_registered_kind_is_looked_up_and_an_unknown_one_refused(
    empty_registry: dict[str, LetterTemplate],
) -> None:
    letter_template_register(
        kind="farewell", template="tests/letters/farewell", fields={"name": str}
    )

    assert letter_template(kind="farewell") == LetterTemplate(
        kind="farewell",
        template="tests/letters/farewell",
        fields={"name": str},
        optional=frozenset(),
    )
    with pytest.raises(LetterError) as refused:
        letter_template(kind="welcome")
    assert str(refused.value) == "There is no letter template 'welcome'."


def test_registering_the_same_template_twice_changes_nothing(
    empty_registry: dict[str, LetterTemplate],
) -> None:
    for _ in range(2):
        letter_template_register(
            kind="farewell",
            template="tests/letters/farewell",
            fields={"name": str, "day": dt.date},
            optional=["day"],
        )

    assert list(empty_registry) == ["farewell"]
    assert empty_registry["farewell"].optional == frozenset({"day"})


def test_another_template_under_a_registered_kind_is_refused_and_the_first_kept() -> None:
    registered = LETTER_TEMPLATES["renewal"]

    with pytest.raises(LetterTemplateConflict) as refused:
        letter_template_register(
            kind="renewal", template="licensing/letters/renewal", fields=registered.fields
        )

    assert str(refused.value) == (
        "The letter kind 'renewal' is already registered with the template "
        "'contracts/letters/renewal', not 'licensing/letters/renewal'. Each kind has one "
        "template: register another letter under a kind of its own."
    )
    assert LETTER_TEMPLATES["renewal"] is registered


def test_the_same_template_with_another_context_is_refused_too() -> None:
    registered = LETTER_TEMPLATES["renewal"]

    with pytest.raises(LetterTemplateConflict) as refused:
        letter_template_register(
            kind="renewal", template=registered.template, fields={"contract_number": str}
        )

    assert str(refused.value) == (
        "The letter kind 'renewal' is already registered with the template "
        "'contracts/letters/renewal' with another context. Each kind has one template: "
        "register another letter under a kind of its own."
    )
    assert LETTER_TEMPLATES["renewal"] is registered


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("kind", KINDS_SENT)
def test_every_registered_template_renders_in_german_and_english(kind: str, language: str) -> None:
    context = sample_context(LETTER_TEMPLATES[kind])

    letter = letter_compose(
        template=kind,
        language=language,
        recipient=RECIPIENT,
        information=INFORMATION,
        context=context,
    )
    rendered = letter_render(letter=letter)

    with pdfplumber.open(io.BytesIO(rendered.pdf)) as pdf:
        text = "\n".join(page.extract_text() for page in pdf.pages)
    assert rendered.page_count == 1
    assert letter.subject in text.replace("\n", " ")
    assert letter.salutation in text
    assert not {"{", "}"} & set(text)


def test_the_letter_text_is_what_the_letter_says_and_an_email_repeats_it() -> None:
    context = sample_context(LETTER_TEMPLATES["renewal"])

    text = letter_text(template="renewal", language="en", context=context)
    letter = letter_compose(
        template="renewal",
        language="en",
        recipient=RECIPIENT,
        information=INFORMATION,
        context=context,
    )

    assert (text.subject, text.salutation, text.paragraphs, text.closing) == (
        letter.subject,
        letter.salutation,
        letter.paragraphs,
        letter.closing,
    )
    assert text.as_email("Alpha") == "\n\n".join(
        (letter.salutation, *letter.paragraphs, f"{letter.closing}\nAlpha")
    )
