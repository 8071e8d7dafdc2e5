"""A letter is checked when it is built; the renewal template fills it in both languages."""

import dataclasses
import datetime as dt

import pytest

from channeldesk.documents.composition import letter_compose
from channeldesk.documents.letters import Letter, LetterError
from tests.documents.factories import INFORMATION, RECIPIENT, plain_letter, renewal_letter


def test_six_address_lines_fit_the_window() -> None:
    recipient = (*RECIPIENT, "DEUTSCHLAND")

    letter = plain_letter(recipient=recipient)

    assert letter.recipient == recipient


def test_a_seventh_address_line_is_refused() -> None:
    recipient = ("Müller Maschinenbau GmbH", "Einkauf", "z. Hd. Frau Dr. Anna Beispiel")
    recipient += ("Gebäude 4", "Industriestraße 12", "70565 Stuttgart", "DEUTSCHLAND")

    with pytest.raises(LetterError) as refused:
        plain_letter(recipient=recipient)

    assert str(refused.value) == (
        "The recipient address has 7 lines; the envelope window holds at most 6. "
        "Shorten it, e.g. by leaving out a department line."
    )


def test_an_address_line_wider_than_the_window_is_refused() -> None:
    line = "Müller Maschinenbau und Anlagentechnik Süd GmbH & Co. KG"

    with pytest.raises(LetterError) as refused:
        plain_letter(recipient=(line, "70565 Stuttgart"))

    assert str(refused.value) == (
        f"The address line '{line}' is 111 mm wide; the envelope window shows 80 mm. "
        "Split or abbreviate it."
    )


@pytest.mark.parametrize("recipient", [(), ("Müller GmbH", ""), ("Müller GmbH\nEinkauf",)])
def test_an_empty_address_or_address_line_is_refused(recipient: tuple[str, ...]) -> None:
    with pytest.raises(LetterError):
        plain_letter(recipient=recipient)


def test_a_language_letters_are_not_written_in_is_refused() -> None:
    with pytest.raises(LetterError) as refused:
        dataclasses.replace(plain_letter(), language="fr")

    assert str(refused.value) == "Letters are written in de or en, not in 'fr'."


def test_a_letter_without_text_is_refused() -> None:
    with pytest.raises(LetterError) as refused:
        dataclasses.replace(plain_letter(), paragraphs=("", "  "))

    assert str(refused.value) == "A letter needs at least one paragraph of text."


GERMAN_RENEWAL = (
    "Ihr Vertrag V-2026-0042 endet am 1. Dezember 2026",
    "Sehr geehrte Damen und Herren,",
    (
        "Ihr Vertrag über 1.250 Arbeitsplätze für ChannelDesk Enterprise endet am "
        "1. Dezember 2026. Wir erinnern Sie rechtzeitig daran, damit Sie die Software ohne "
        "Unterbrechung weiter nutzen können.",
        "Vertragsnummer: V-2026-0042\nProdukt: ChannelDesk Enterprise\nArbeitsplätze: 1.250\n"
        "Vertragsende: 1. Dezember 2026",
        "Um den Vertrag zu verlängern, wenden Sie sich bitte an Ihren Fachhändler, der Sie "
        "betreut und Ihnen gern ein Angebot macht:\nAlpha Systemhaus GmbH\n"
        "Telefon: +49 40 1234567\nE-Mail: vertrieb@alpha.example",
        "Wenn Sie nichts unternehmen, endet der Vertrag am 1. Dezember 2026. Danach sind Ihre "
        "Lizenzen nicht mehr gültig, und Sie erhalten weder Updates noch Support.",
    ),
    "Mit freundlichen Grüßen",
)
ENGLISH_RENEWAL = (
    "Your contract V-2026-0042 ends on 1 December 2026",
    "Dear Sir or Madam,",
    (
        "Your contract for 1,250 seats of ChannelDesk Enterprise ends on 1 December 2026. We "
        "are writing in good time so that you can go on using the software without "
        "interruption.",
        "Contract number: V-2026-0042\nProduct: ChannelDesk Enterprise\nSeats: 1,250\n"
        "End date: 1 December 2026",
        "To renew the contract, please contact the partner who looks after you; they will be "
        "glad to send you a quote:\nAlpha Systemhaus GmbH\nPhone: +49 40 1234567\n"
        "E-mail: vertrieb@alpha.example",
        "If you do nothing, the contract ends on 1 December 2026. After that your licences are "
        "no longer valid, and you will receive neither updates nor support.",
    ),
    "Yours faithfully",
)


@pytest.mark.parametrize(
    ("language", "expected"), [("de", GERMAN_RENEWAL), ("en", ENGLISH_RENEWAL)]
)
def test_the_renewal_letter_names_contract_product_seats_end_date_and_partner(
    language: str, expected: tuple[str, str, tuple[str, ...], str]
) -> None:
    letter = renewal_letter(language)

    assert (letter.subject, letter.salutation, letter.paragraphs, letter.closing) == expected
    assert (letter.language, letter.recipient, letter.information) == (
        language,
        RECIPIENT,
        INFORMATION,
    )


def refusal(template: str, context: dict[str, object]) -> str:
    """Why the German letter `template` cannot be composed with `context`."""
    with pytest.raises(LetterError) as refused:
        letter_compose(
            template=template,
            language="de",
            recipient=RECIPIENT,
            information=INFORMATION,
            context=context,
        )
    return str(refused.value)


def test_a_named_contact_is_greeted_by_name_and_one_seat_is_singular() -> None:
    german = renewal_letter("de", contact_name="Frau Beispiel", seats=1)
    english = renewal_letter("en", contact_name="Ms Beispiel", seats=1)

    assert german.salutation == "Guten Tag Frau Beispiel,"
    assert german.paragraphs[0].startswith("Ihr Vertrag über 1 Arbeitsplatz für ")
    assert (english.salutation, english.closing) == ("Dear Ms Beispiel,", "Yours sincerely")
    assert english.paragraphs[0].startswith("Your contract for 1 seat of ")


def test_a_renewal_context_with_missing_unknown_or_mistyped_keys_is_refused() -> None:
    context = {
        "contract_number": "V-1",
        "product": "ChannelDesk Enterprise",
        "seats": "25",
        "end_date": dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
        "partner_name": "Alpha Systemhaus GmbH",
        "partner_phone": "+49 40 1234567",
        "partner_mail": "vertrieb@alpha.example",
    }

    assert refusal("renewal", context) == (
        "The 'renewal' letter cannot be filled (missing: partner_email; unknown: partner_mail; "
        "wrong type: end_date, seats)."
    )


def test_an_unknown_template_is_refused() -> None:
    assert refusal("farewell", {}) == "There is no letter template 'farewell'."


def test_a_letter_is_signed_by_the_sender_unless_someone_is_named() -> None:
    letter = plain_letter()

    assert letter.signed_by == "ChannelDesk Software GmbH"
    assert dataclasses.replace(letter, signature="Ihr Vertriebsteam").signed_by == (
        "Ihr Vertriebsteam"
    )


def test_letters_are_plain_values() -> None:
    assert isinstance(renewal_letter(), Letter)
    assert renewal_letter() == renewal_letter()


@pytest.mark.parametrize(
    ("language", "late_paragraph", "on_time_word", "tomorrow", "today"),
    [
        (
            "de",
            "Ihr Vertrag über 1.250 Arbeitsplätze für ChannelDesk Enterprise endet am "
            "1. Dezember 2026. Dieses Schreiben erreicht Sie leider später als vorgesehen: Bis "
            "zum Vertragsende bleiben nur noch 38 Tage. Bitte kümmern Sie sich deshalb möglichst "
            "bald um die Verlängerung, damit Sie die Software ohne Unterbrechung weiter nutzen "
            "können.",
            "rechtzeitig",
            "Ihr Vertrag endet schon morgen.",
            "Ihr Vertrag endet heute.",
        ),
        (
            "en",
            "Your contract for 1,250 seats of ChannelDesk Enterprise ends on 1 December 2026. We "
            "regret that this letter reaches you later than planned: only 38 days remain until "
            "the contract ends. Please see to the renewal soon so that you can go on using the "
            "software without interruption.",
            "good time",
            "your contract ends tomorrow.",
            "your contract ends today.",
        ),
    ],
)
def test_a_late_letter_says_it_is_late_and_how_many_days_are_left(
    language: str, late_paragraph: str, on_time_word: str, tomorrow: str, today: str
) -> None:
    late = renewal_letter(language, sent_late=True, days_left=38)

    assert late.paragraphs[0] == late_paragraph
    assert on_time_word not in " ".join(late.paragraphs)
    assert tomorrow in renewal_letter(language, sent_late=True, days_left=1).paragraphs[0]
    assert today in renewal_letter(language, sent_late=True, days_left=0).paragraphs[0]


def test_a_letter_sent_on_time_keeps_saying_in_good_time() -> None:
    german = renewal_letter("de", sent_late=False, days_left=45)
    english = renewal_letter("en", sent_late=False, days_left=45)

    assert "Wir erinnern Sie rechtzeitig daran" in german.paragraphs[0]
    assert "We are writing in good time" in english.paragraphs[0]
