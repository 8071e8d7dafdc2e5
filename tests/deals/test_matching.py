"""Matching companies for the deal-registration conflict check (docs/deals.md, "Matching").

Examples first (German cases, matches and non-matches), then properties: a renamed copy of a
registered prospect is always found, by its name key and through the index; different
companies at one address are never a conflict; normalisation is idempotent; the index entries
never miss a pair the rules match.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from stdnum.iso7064 import mod_11_10

from channeldesk.deals.matching import (
    CONNECTORS,
    LEGAL_FORMS,
    PUBLIC_BODIES,
    TITLES,
    Company,
    MatchKeyKind,
    MatchReason,
    fold,
    is_conflict,
    is_hint,
    match_keys,
    match_reasons,
    name_tokens,
    normalise_name,
    normalise_postcode,
    normalise_street,
    normalise_vat_id,
    reasons_between,
)

VAT, NAME, ADDRESS = MatchReason.VAT_ID, MatchReason.NAME, MatchReason.ADDRESS

SAME_COMPANY = [
    ("Stadtverwaltung Musterstadt", "Stadt Musterstadt"),
    ("Gemeindeverwaltung Musterdorf", "Gemeinde Musterdorf"),
    ("Landeshauptstadt München", "Stadt München"),
    ("Freie und Hansestadt Hamburg", "Hamburg, Freie und Hansestadt"),
    ("Kreisverwaltung Mayen-Koblenz", "Landkreis Mayen-Koblenz"),
    ("Landratsamt Rosenheim", "Landkreis Rosenheim"),
    ("Rhein-Sieg-Kreis", "Kreisverwaltung Rhein-Sieg-Kreis"),
    ("Verbandsgemeindeverwaltung Montabaur", "Verbandsgemeinde Montabaur"),
    ("Müller Maschinenbau GmbH", "Mueller Maschinenbau AG"),
    ("Bäckerei Groß GmbH & Co. KG", "BAECKEREI GROSS"),
    ("Schulze & Söhne OHG", "Schulze und Soehne"),
    ("Freiwillige Feuerwehr Musterstadt e.V.", "Freiwillige Feuerwehr Musterstadt eV"),
    ("Weber Elektrotechnik UG (haftungsbeschränkt)", "Weber Elektrotechnik"),
    ("Muster-Bau GmbH", "Musterbau GmbH"),
    ("Hansen Logistik Nord GmbH", "Logistik Hansen Nord"),
    ("Autohaus Becker Verkauf Service GmbH", "Autohaus Becker Verkauf Service Süd GmbH"),
    ("Dr. Oetker KG", "Oetker"),
    ("Société Générale S.A.", "Societe Generale"),
    ("Ingenieurbüro Dipl.-Ing. Hans Krüger", "Ingenieurbuero Hans Krueger"),
    ("Meyer Gesellschaft mit beschränkter Haftung", "MEYER GMBH"),
]

DIFFERENT_COMPANIES = [
    ("Stadt Kassel", "Landkreis Kassel"),
    ("Verbandsgemeinde Montabaur", "Stadt Montabaur"),
    ("Stadtwerke Musterstadt GmbH", "Stadt Musterstadt"),
    ("Müller Maschinenbau GmbH", "Müller Elektrotechnik GmbH"),
    ("Autohaus Becker Nord", "Autohaus Becker Süd"),
    ("Müller GmbH", "Müller Bau GmbH"),
    ("Schmidt IT-Service GmbH", "Schmitt IT-Service GmbH"),
    ("Autohaus Becker Verkauf Service GmbH", "Autohaus Becker Verkauf Service Süd Nord GmbH"),
]


@pytest.mark.parametrize(("first", "second"), SAME_COMPANY)
def test_names_of_one_company_match(first: str, second: str) -> None:
    reasons = match_reasons(Company(name=first), Company(name=second))

    assert reasons == {NAME}
    assert is_conflict(reasons)


@pytest.mark.parametrize(("first", "second"), DIFFERENT_COMPANIES)
def test_names_of_different_companies_do_not_match(first: str, second: str) -> None:
    assert match_reasons(Company(name=first), Company(name=second)) == frozenset()


@pytest.mark.parametrize(
    ("name", "normalised"),
    [
        ("Stadtverwaltung Musterstadt", "gemeinde musterstadt"),
        ("Müller GmbH & Co. KG", "mueller"),
        ("Mueller & Söhne e. V.", "mueller soehne"),
        ("  Bäckerei   Groß\u00a0UG (haftungsbeschränkt) ", "baeckerei gross"),
        ("Landratsamt München", "landkreis muenchen"),
        ("S.à r.l. Dupont", "dupont"),
        # A name that is nothing but a legal form keeps it rather than becoming empty.
        ("AG", "ag"),
    ],
)
def test_normalised_names(name: str, normalised: str) -> None:
    assert normalise_name(name) == normalised


def test_name_tokens_are_the_words_of_the_normalised_name() -> None:
    assert name_tokens("Autohaus Becker GmbH & Co. KG, Süd") == {"autohaus", "becker", "sued"}


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Hauptstr. 5a", "Hauptstraße 5 a"),
        ("Hauptstrasse 5A", "hauptstr 5a"),
        ("Karl-Marx-Str. 12", "Karl Marx Straße 12"),
        ("Berliner Straße 3", "Berlinerstr. 3"),
        ("St.-Georg-Str. 5 - 7", "Sankt-Georg-Straße 5-7"),
        ("Marktplatz 1", "Markt-Pl. 1"),
    ],
)
def test_streets_written_differently_are_equal(first: str, second: str) -> None:
    assert normalise_street(first) == normalise_street(second)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Hauptstraße 5", "Hauptstraße 5a"),
        ("Hauptstraße 5", "Hauptstraße 15"),
        ("Am Strand 3", "Am Str. 3"),
        ("Straße des 17. Juni 135", "Straße des 17. Juni 13"),
    ],
)
def test_different_addresses_stay_different(first: str, second: str) -> None:
    assert normalise_street(first) != normalise_street(second)


@pytest.mark.parametrize(
    ("postcode", "country", "normalised"),
    [
        ("D-01067", "DE", "01067"),
        ("1067", "DE", "01067"),
        (" 56068 ", "DE", "56068"),
        ("A-1010", "AT", "AT-1010"),
        ("1010", "AT", "AT-1010"),
        ("", "DE", ""),
    ],
)
def test_normalised_postcodes(postcode: str, country: str, normalised: str) -> None:
    assert normalise_postcode(postcode, country=country) == normalised


@pytest.mark.parametrize(
    ("vat_id", "country", "normalised"),
    [
        ("de 136.695.976", None, "DE136695976"),
        ("136695976", "DE", "DE136695976"),
        ("GR 094259216", None, "EL094259216"),
        ("CHE-116.281.710 MWST", "CH", "CHE116281710"),
        ("DE136695977", None, None),  # wrong check digit
        ("136695976", None, None),  # no prefix and no country
        ("", "DE", None),
    ],
)
def test_normalised_vat_ids(vat_id: str, country: str | None, normalised: str | None) -> None:
    assert normalise_vat_id(vat_id, country=country) == normalised


def test_same_vat_id_under_another_name_is_a_conflict() -> None:
    first = Company(name="Alpha Consulting GmbH", vat_id="DE136695976")
    second = Company(name="Beta Beratung AG", vat_id="de 136 695 976")

    reasons = match_reasons(first, second)

    assert reasons == {VAT}
    assert is_conflict(reasons)


def test_neighbours_in_one_building_are_a_hint_not_a_conflict() -> None:
    lawyer = Company(name="Kanzlei Weber", street="Hauptstraße 5", postcode="56068")
    dentist = Company(name="Zahnarztpraxis Dr. Lange", street="Hauptstr. 5", postcode="56068")

    reasons = match_reasons(lawyer, dentist)

    assert reasons == {ADDRESS}
    assert not is_conflict(reasons)
    assert is_hint(reasons)


def test_same_name_at_same_address_gives_both_reasons() -> None:
    first = Company(name="Stadtverwaltung Musterstadt", street="Marktplatz 1", postcode="12345")
    second = Company(name="Stadt Musterstadt", street="Markt-Pl. 1", postcode="D-12345")

    assert match_reasons(first, second) == {NAME, ADDRESS}


def test_missing_parts_match_nothing() -> None:
    empty = Company(name="")

    assert match_reasons(empty, empty) == frozenset()
    assert match_keys(Company(name="X", street="Hauptstraße 5")).address is None
    assert match_keys(Company(name="X", postcode="56068")).address is None


@pytest.mark.parametrize(
    ("reasons", "conflict", "hint"),
    [
        ({VAT}, True, False),
        ({NAME}, True, False),
        ({NAME, ADDRESS}, True, False),
        ({VAT, NAME, ADDRESS}, True, False),
        ({ADDRESS}, False, True),
        (set(), False, False),
    ],
)
def test_conflict_needs_name_or_vat_id(
    reasons: set[MatchReason], *, conflict: bool, hint: bool
) -> None:
    assert is_conflict(reasons) is conflict
    assert is_hint(reasons) is hint


def test_index_entries_of_a_company() -> None:
    keys = match_keys(
        Company(
            name="Müller Maschinenbau Vertrieb Süd GmbH",
            street="Hauptstr. 5",
            postcode="10115",
            vat_id="DE136695976",
        )
    )

    assert keys.index_entries() == {
        (MatchKeyKind.VAT_ID, "DE136695976"),
        (MatchKeyKind.NAME, "muellermaschinenbauvertriebsued"),
        (MatchKeyKind.NAME_WORDS, "maschinenbau mueller sued vertrieb"),
        (MatchKeyKind.NAME_SIGNATURE, "maschinenbau"),
        (MatchKeyKind.ADDRESS, "10115|hauptstr 5"),
    }


def test_a_similar_longer_name_is_found_by_its_signature_alone() -> None:
    four = match_keys(Company(name="Autohaus Becker Verkauf Service GmbH"))
    five = match_keys(Company(name="Autohaus Becker Verkauf Service Süd GmbH"))

    shared = four.index_entries() & five.index_entries()

    assert shared == {(MatchKeyKind.NAME_SIGNATURE, "autohaus")}


# Properties ------------------------------------------------------------------------------

# Every word of a legal form, a title, a public body or a connector: a generated brand or
# place must not be one of them, or it would be removed like them.
RESERVED = {
    word
    for form in (*LEGAL_FORMS, *TITLES, *(f for forms in PUBLIC_BODIES.values() for f in forms))
    for word in re.findall(r"[^\W_]+", fold(form))
}
RESERVED |= CONNECTORS

BRANDS = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
    "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
    "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Weiß",
    "Krause", "Köhler", "Maaß", "Jäger", "Groß", "Voß", "Nußbaum", "Öztürk", "Ärzteverbund",
)  # fmt: skip
TRADES = (
    "Bäckerei", "Maschinenbau", "Elektrotechnik", "Autohaus", "Ingenieurbüro", "Steuerberatung",
    "Logistik", "Druckerei", "Software", "Systemhaus", "Gebäudetechnik", "Immobilien",
)  # fmt: skip
PLACES = ("Musterstadt", "Koblenz", "Mayen", "Bad Ems", "Neuwied", "Lahnstein", "Görlitz")

random_word = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzäöüßABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÜ", min_size=3, max_size=12
).filter(lambda word: fold(word) not in RESERVED)
brand = st.one_of(st.sampled_from(BRANDS), random_word)
legal_form = st.sampled_from(LEGAL_FORMS)
CASES: list[Callable[[str], str]] = [str.upper, str.lower, str.title, str.swapcase, str.strip]
# Umlauts and ß written out or not, in either direction.
SPELLINGS = [
    ("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ae", "ä"), ("ue", "ü"), ("oe", "ö"), ("ß", "ss"),
    ("ss", "ß"), ("Ä", "Ae"), ("Ü", "Ue"), ("Ö", "Oe"), ("Ae", "Ä"),
]  # fmt: skip
separator = st.sampled_from([" ", "  ", ", ", " - ", "-", ". ", " / ", " & ", " und ", " + "])


@dataclass(frozen=True)
class Name:
    """A generated company name: public body (marker + place) or business (words + form)."""

    words: tuple[str, ...]
    legal_form: str | None = None
    form_position: int = -1
    body: str | None = None  # a key of PUBLIC_BODIES
    marker: str = ""
    marker_last: bool = False

    def render(self, separators: list[str]) -> str:
        parts = list(self.words)
        if self.legal_form is not None:
            position = len(parts) if self.form_position < 0 else self.form_position
            parts.insert(min(position, len(parts)), self.legal_form)
        if self.body is not None:
            parts = [*parts, self.marker] if self.marker_last else [self.marker, *parts]
        text = parts[0]
        for index, part in enumerate(parts[1:]):
            text += separators[index % len(separators)] + part
        return text


business_name = st.builds(
    Name,
    words=st.lists(st.one_of(brand, st.sampled_from(TRADES)), min_size=1, max_size=4).map(tuple),
    legal_form=st.one_of(st.none(), legal_form),
    form_position=st.integers(min_value=-1, max_value=4),
)


@st.composite
def public_body_name(draw: st.DrawFn) -> Name:
    body = draw(st.sampled_from(sorted(PUBLIC_BODIES)))
    return Name(
        words=(draw(st.one_of(st.sampled_from(PLACES), random_word)),),
        body=body,
        marker=draw(st.sampled_from(PUBLIC_BODIES[body])),
        marker_last=draw(st.booleans()),
    )


company_name = st.one_of(business_name, public_body_name())


@st.composite
def renamed(draw: st.DrawFn, name: Name) -> str:
    """The name as another partner might type it: same company, written differently."""
    if name.body is None:
        name = replace(
            name,
            legal_form=draw(st.one_of(st.none(), legal_form)),
            form_position=draw(st.integers(min_value=-1, max_value=4)),
        )
    else:
        name = replace(
            name,
            marker=draw(st.sampled_from(PUBLIC_BODIES[name.body])),
            marker_last=draw(st.booleans()),
        )
    text = name.render(draw(st.lists(separator, min_size=1, max_size=4)))
    for original, variant in draw(st.lists(st.sampled_from(SPELLINGS), max_size=4)):
        text = text.replace(original, variant)
    text = draw(st.sampled_from(CASES))(text)
    padding = st.sampled_from(["", " ", "  ", "\t", "\u00a0"])
    return (
        draw(padding)
        + text.replace(" ", draw(st.sampled_from([" ", "  ", " \u00a0"])))
        + draw(padding)
    )


def german_vat_id(digits: str) -> str:
    body = str(int(digits[0]) % 9 + 1) + digits[1:]
    return "DE" + body + mod_11_10.calc_check_digit(body)


vat_id = st.text(alphabet="0123456789", min_size=8, max_size=8).map(german_vat_id)


@st.composite
def written_vat_id(draw: st.DrawFn, vat: str) -> str:
    """The VAT ID with spaces and dots, any case of prefix, or without its prefix."""
    digits = vat[2:]
    cuts = sorted(draw(st.sets(st.integers(min_value=1, max_value=len(digits) - 1), max_size=3)))
    pieces = [
        digits[start:end] for start, end in zip([0, *cuts], [*cuts, len(digits)], strict=True)
    ]
    written = draw(st.sampled_from([" ", ".", ""])).join(pieces)
    prefix = draw(st.sampled_from(["DE", "de", "De", "dE", "DE ", "de-", ""]))
    return prefix + written


@settings(deadline=None, max_examples=300)
@given(data=st.data(), name=company_name)
def test_a_renamed_copy_of_a_registered_prospect_is_always_found(
    data: st.DataObject, name: Name
) -> None:
    registered = Company(name=name.render([" "]), street="Hauptstraße 5 a", postcode="01067")
    copy = Company(
        name=data.draw(renamed(name)),
        street=data.draw(st.sampled_from(["Hauptstr. 5a", "HAUPTSTRASSE 5 A", "Hauptstraße 5a"])),
        postcode=data.draw(st.sampled_from(["01067", "D-01067", "1067", " 01067"])),
    )

    reasons = match_reasons(registered, copy)

    assert reasons == {NAME, ADDRESS}, (registered.name, copy.name)
    assert is_conflict(reasons)
    # Found by an equality lookup of its name key, not only by comparing the pair.
    assert match_keys(registered).name == match_keys(copy).name


@settings(deadline=None)
@given(data=st.data(), vat=vat_id)
def test_vat_id_normalisation_ignores_spaces_dots_and_prefix_case(
    data: st.DataObject, vat: str
) -> None:
    assert normalise_vat_id(data.draw(written_vat_id(vat)), country="DE") == vat


@settings(deadline=None)
@given(vat=vat_id, wrong=st.integers(min_value=1, max_value=9))
def test_a_vat_id_with_a_wrong_check_digit_is_no_key(vat: str, wrong: int) -> None:
    mistyped = vat[:-1] + str((int(vat[-1]) + wrong) % 10)

    assert normalise_vat_id(mistyped) is None


@st.composite
def neighbours(draw: st.DrawFn) -> tuple[Name, Name]:
    """Two different companies: different brands, or different kinds of public body."""
    if draw(st.booleans()):
        first, second = draw(st.lists(brand, min_size=2, max_size=2, unique_by=normalise_name))
        trades = draw(st.lists(st.sampled_from(TRADES), max_size=2, unique=True))
        return (
            Name(words=(*trades, first), legal_form=draw(st.one_of(st.none(), legal_form))),
            Name(
                words=(*draw(st.permutations(trades)), second),
                legal_form=draw(st.one_of(st.none(), legal_form)),
            ),
        )
    first_body, second_body = draw(
        st.lists(st.sampled_from(sorted(PUBLIC_BODIES)), min_size=2, max_size=2, unique=True)
    )
    place = (draw(st.sampled_from(PLACES)),)
    return (
        Name(words=place, body=first_body, marker=draw(st.sampled_from(PUBLIC_BODIES[first_body]))),
        Name(
            words=place, body=second_body, marker=draw(st.sampled_from(PUBLIC_BODIES[second_body]))
        ),
    )


@settings(deadline=None, max_examples=300)
@given(data=st.data(), pair=neighbours())
def test_different_companies_in_the_same_street_are_never_a_conflict(
    data: st.DataObject, pair: tuple[Name, Name]
) -> None:
    first, second = (
        Company(
            name=name.render([" "]),
            street=data.draw(st.sampled_from(["Hauptstraße 5", "Hauptstr. 5", "hauptstrasse 5"])),
            postcode="56068",
            vat_id=data.draw(st.one_of(st.just(""), vat_id)),
        )
        for name in pair
    )
    assume(normalise_vat_id(first.vat_id) != normalise_vat_id(second.vat_id) or not first.vat_id)

    reasons = match_reasons(first, second)

    assert reasons == {ADDRESS}, (first.name, second.name)
    assert not is_conflict(reasons)


text_with_names = st.one_of(
    st.text(),
    company_name.map(lambda name: name.render([" ", "-", ", "])),
    st.text(alphabet="ÄäÖöÜüßẞéàç&.,-() eEvVgGmMbBhHaAsStTrR1234567890", max_size=40),
)


@settings(deadline=None, max_examples=300)
@given(text=text_with_names)
def test_normalisation_is_idempotent(text: str) -> None:
    assert normalise_name(normalise_name(text)) == normalise_name(text)
    assert normalise_street(normalise_street(text)) == normalise_street(text)
    for country in ("DE", "AT"):
        postcode = normalise_postcode(text, country=country)
        assert normalise_postcode(postcode, country=country) == postcode
    vat = normalise_vat_id(text)
    assert vat is None or normalise_vat_id(vat) == vat


# Few words, so that pairs often share some: equal, reordered, one word more or less.
small_name = st.lists(
    st.sampled_from(["Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta", "Eta", "Theta"]),
    min_size=0,
    max_size=8,
).map(" ".join)
small_company = st.builds(
    Company,
    name=small_name,
    street=st.sampled_from(["", "Hauptstraße 5", "Hauptstr. 5", "Ringstraße 1"]),
    postcode=st.sampled_from(["", "56068", "10115"]),
    vat_id=st.sampled_from(["", "DE136695976", "de 136695976", "ATU13585627"]),
)


@settings(deadline=None, max_examples=500)
@given(first=small_company, second=small_company)
def test_the_index_entries_find_every_pair_the_rules_match(first: Company, second: Company) -> None:
    first_keys, second_keys = match_keys(first), match_keys(second)

    reasons = reasons_between(first_keys, second_keys)

    if reasons:
        assert first_keys.index_entries() & second_keys.index_entries()
    assert reasons == reasons_between(second_keys, first_keys)
