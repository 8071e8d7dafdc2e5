"""Matching companies for the conflict check of deal registrations (issue 17, docs/deals.md).

Two records name the same company when their VAT IDs are equal or their names are equal after
normalisation (or nearly equal as sets of words); the same postcode and street is a *hint* shown
beside them, never a conflict on its own, because many unrelated companies share a building.

Everything here is a pure function of its arguments. The conflict check over a million stored
registrations never compares pairs: each stored company keeps its `match_keys`, the check looks
up the keys of the new one (`MatchKeys.index_entries`, equality lookups only) and then asks
`reasons_between` about the few candidates it found. `index_entries` is built so that every
pair `reasons_between` would match shares at least one entry (tests/deals/test_matching.py
checks it).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from django.db import models
from django.utils.translation import gettext_lazy as _

from channeldesk.partners.imports import vat_id_normalise

# Two names are similar when their word sets' Jaccard similarity (shared words over all words)
# reaches this share and each has at least MINIMUM_SIMILAR_TOKENS words; a one-word name
# matches only by equality.
NAME_SIMILARITY_THRESHOLD = Fraction(4, 5)
MINIMUM_SIMILAR_TOKENS = 2
# Two different word sets sharing k words have at least k + 1 words in all, so they are similar
# only when k / (k + 1) ≥ t, that is k ≥ t / (1 - t): with t = 4/5, four shared words. Smaller
# names are similar only to the same word set.
_SIGNATURE_FROM_WORDS = math.ceil(NAME_SIMILARITY_THRESHOLD / (1 - NAME_SIMILARITY_THRESHOLD))

# Legal forms, as people write them; they are removed wherever they stand in a name. Each is
# read by the same folding and splitting as the names, so "e.V.", "e. V." and "E.V" are one
# form, and a combined form such as "GmbH & Co. KG" goes as a whole.
LEGAL_FORMS: tuple[str, ...] = (
    # Germany, abbreviated.
    "GmbH & Co. KGaA", "GmbH & Co. KG", "GmbH & Co. OHG", "AG & Co. KGaA", "AG & Co. KG",
    "SE & Co. KGaA", "SE & Co. KG", "UG (haftungsbeschränkt) & Co. KG", "Co. KG",
    "GmbH", "gGmbH", "mbH", "AG", "gAG", "KG", "KGaA", "OHG", "GbR", "PartG mbB", "PartGmbB",
    "PartG", "mbB", "UG (haftungsbeschränkt)", "UG", "haftungsbeschränkt", "e.V.", "eV", "e.K.",
    "e.Kfm.", "e.Kfr.", "eG", "VVaG", "SE", "AöR", "KdöR", "& Co.", "& Cie.",
    # Germany, written out.
    "gemeinnützige Gesellschaft mit beschränkter Haftung",
    "Gesellschaft mit beschränkter Haftung", "Aktiengesellschaft",
    "Kommanditgesellschaft auf Aktien", "Kommanditgesellschaft", "offene Handelsgesellschaft",
    "Gesellschaft bürgerlichen Rechts", "Partnerschaftsgesellschaft", "Unternehmergesellschaft",
    "eingetragener Verein", "eingetragene Genossenschaft", "eingetragener Kaufmann",
    "eingetragene Kauffrau", "Anstalt des öffentlichen Rechts",
    "Körperschaft des öffentlichen Rechts",
    # Austria and Switzerland.
    "Ges.m.b.H.", "GesmbH", "OG", "Sàrl",
    # Elsewhere.
    "Ltd", "Limited", "PLC", "Inc", "Incorporated", "Corp", "Corporation", "LLC", "LLP",
    "S.A.", "SA", "S.A.S.", "S.à r.l.", "SARL", "S.p.A.", "S.r.l.", "SRL", "B.V.", "BV", "N.V.",
    "NV", "ApS", "Oy", "Sp. z o.o.", "s.r.o.", "Kft.",
)  # fmt: skip

# Academic titles say nothing about which company it is ("Dr. Oetker" is "Oetker").
TITLES: tuple[str, ...] = ("Dipl.-Ing.", "Dipl.", "Dr.", "Prof.")

# Words that join parts of a name; "&" and "+" are punctuation and go anyway.
CONNECTORS = frozenset({"und", "and", "u"})

# Public bodies: the ways one body is written, each reduced to its canonical first word. A
# town is a municipality in law, so "Stadt" and "Gemeinde" are one; a district (Landkreis) and
# a federation of municipalities (Verbandsgemeinde, Samtgemeinde) are other bodies with the
# same place name, so they keep their own word. Matched at the start or the end of a name.
PUBLIC_BODIES: dict[str, tuple[str, ...]] = {
    "gemeinde": (
        "Gemeinde", "Gemeindeverwaltung", "Ortsgemeinde", "Stadtgemeinde", "Marktgemeinde",
        "Stadt", "Stadtverwaltung", "Verwaltung der Stadt", "Magistrat der Stadt",
        "Kreisstadt", "Große Kreisstadt", "Kreisfreie Stadt", "Landeshauptstadt", "Hansestadt",
        "Freie und Hansestadt", "Freie Hansestadt", "Universitätsstadt",
    ),
    "landkreis": (
        "Landkreis", "Kreis", "Kreisverwaltung", "Landkreisverwaltung", "Landratsamt",
        "Kreisverwaltung des Landkreises", "Landratsamt des Landkreises",
    ),
    "verbandsgemeinde": (
        "Verbandsgemeinde", "Verbandsgemeindeverwaltung", "Samtgemeinde",
        "Samtgemeindeverwaltung", "Verwaltungsgemeinschaft",
    ),
}  # fmt: skip

# Letters that Unicode does not decompose into a base letter and a mark.
_LETTERS = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "æ": "ae", "œ": "oe", "ø": "oe", "ł": "l", "đ": "d"}
)
_TOKEN = re.compile(r"[^\W_]+")
_APOSTROPHES = re.compile("['’`\u00b4]")
# Chosen at the word's end only, so "Strand" and "Straßenbahnring" keep their letters.
_STREET_WORDS = (
    (re.compile(r"(?:strasse|str)(?![^\W\d_])\.?"), "str"),
    (re.compile(r"(?:platz|pl)(?![^\W\d_])\.?"), "pl"),
    (re.compile(r"\bst(?![^\W\d_])\.?"), "sankt"),
)
_HOUSE_NUMBER = re.compile(r"(\d+\s*[^\W\d_]?(?:\s*[-/]\s*\d+\s*[^\W\d_]?)*)[\W_]*$")
_TRAILING_NUMBER = re.compile(r"\d+[^\W\d_]?$")
_POSTCODE_COUNTRY_PREFIX = re.compile(r"^[A-Z]{1,3}-")


def fold(text: str) -> str:
    """Casefolded, umlauts written out (ä → ae, ß → ss), other accents dropped (é → e).

    Repeated until nothing changes, so that folding is idempotent for every script.
    """
    previous = None
    while text != previous:
        previous = text
        text = unicodedata.normalize("NFKC", text).casefold().translate(_LETTERS)
        text = "".join(
            character
            for character in unicodedata.normalize("NFKD", text)
            if not unicodedata.combining(character)
        )
        text = unicodedata.normalize("NFKC", text)
    return text


def _tokens(text: str) -> tuple[str, ...]:
    """The words of a folded text; apostrophes vanish ("Müller's" → "muellers")."""
    return tuple(_TOKEN.findall(_APOSTROPHES.sub("", fold(text))))


def _phrases(written: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    """Written forms as word sequences, longest first (so a combined form wins)."""
    return tuple(sorted({_tokens(form) for form in written}, key=lambda words: -len(words)))


_LEGAL_FORM_PHRASES = _phrases(LEGAL_FORMS + TITLES)
_PUBLIC_BODY_PHRASES = {canonical: _phrases(forms) for canonical, forms in PUBLIC_BODIES.items()}


def _without_phrases(words: tuple[str, ...], phrases: Sequence[tuple[str, ...]]) -> tuple[str, ...]:
    """The words with every occurrence of the phrases removed, scanning left to right."""
    kept: list[str] = []
    index = 0
    while index < len(words):
        found = next((p for p in phrases if words[index : index + len(p)] == p), None)
        if found is None:
            kept.append(words[index])
            index += 1
        else:
            index += len(found)
    return tuple(kept)


def _without_legal_forms(words: tuple[str, ...]) -> tuple[str, ...]:
    """Legal forms and titles removed; a name that is nothing but a legal form keeps it."""
    return _without_phrases(words, _LEGAL_FORM_PHRASES) or words


def _strip_public_body(
    words: tuple[str, ...], phrases: Sequence[tuple[str, ...]], *, at_start: bool
) -> tuple[str, ...]:
    """The words without the body's phrases at one end (repeatedly)."""
    stripped = True
    while stripped and words:
        stripped = False
        for phrase in phrases:
            end = words[: len(phrase)] if at_start else words[len(words) - len(phrase) :]
            if end == phrase:
                words = words[len(phrase) :] if at_start else words[: len(words) - len(phrase)]
                stripped = True
                break
    return words


def _public_body(words: tuple[str, ...]) -> tuple[str, ...]:
    """A public body's name as its canonical word and the place ("Stadt X" → "gemeinde x").

    The body is recognised by a phrase at the start, else at the end; phrases of that body are
    then stripped from both ends.
    """
    for at_start in (True, False):
        for canonical, phrases in _PUBLIC_BODY_PHRASES.items():
            if _strip_public_body(words, phrases, at_start=at_start) != words:
                rest = _strip_public_body(words, phrases, at_start=True)
                return (canonical, *_strip_public_body(rest, phrases, at_start=False))
    return words


def _name_words(name: str) -> tuple[str, ...]:
    """The words that identify a company: see `normalise_name`.

    Removing a legal form can bring a public body's word to an end, and moving a public body's
    word can join the parts of a legal form, so both steps repeat until nothing changes; each
    round removes a word or leaves the canonical word first, so the loop ends.
    """
    words = _tokens(name)
    words = tuple(word for word in words if word not in CONNECTORS) or words
    previous: tuple[str, ...] | None = None
    while words != previous:
        previous = words
        words = _public_body(_without_legal_forms(words))
    return words


def normalise_name(name: str) -> str:
    """The comparable form of a company name: words of folded letters, one space between.

    1. Fold: casefold, ä → ae, ö → oe, ü → ue, ß → ss, other accents dropped.
    2. Split into words at every punctuation mark and space; apostrophes vanish.
    3. Drop the connectors "und", "and", "u" ("&" and "+" went with the punctuation).
    4. Remove legal forms (`LEGAL_FORMS`) and titles (`TITLES`) wherever they stand; a name
       that is nothing but legal forms keeps them.
    5. Reduce a public body to its canonical word and the place (`PUBLIC_BODIES`):
       "Stadtverwaltung Musterstadt" and "Stadt Musterstadt" both become "gemeinde musterstadt".

    Idempotent: normalising a normalised name changes nothing.
    """
    return " ".join(_name_words(name))


def name_tokens(name: str) -> frozenset[str]:
    """The words of the normalised name, for comparing names as sets of words."""
    return frozenset(_name_words(name))


def normalise_street(street: str) -> str:
    """The comparable form of a street and house number: "Hauptstraße 5 a" → "hauptstr 5a".

    Folded like names; "Straße", "Strasse", "Str." and "str" at a word's end become "str",
    "Platz"/"Pl." become "pl", "St." (Sankt) becomes "sankt"; the street's words are joined
    without spaces or hyphens ("Karl-Marx-Str." = "Karl Marx Straße"), the house number keeps
    its digits and letter without spaces ("5 a" = "5a", "5 - 7" = "5-7").
    """
    text = fold(street)
    for pattern, replacement in _STREET_WORDS:
        text = pattern.sub(replacement, text)
    number = ""
    house_number = _HOUSE_NUMBER.search(text)
    if house_number is not None:
        number = re.sub(r"\s+", "", house_number.group(1))
        text = text[: house_number.start()]
    name = "".join(_TOKEN.findall(text))
    # A number that only stands at the end once the words are joined ("x0 - a" is "x0a") is
    # split off too, so that normalising the result again changes nothing.
    if not number and (trailing := _TRAILING_NUMBER.search(name)) is not None:
        name, number = name[: trailing.start()], trailing.group()
    return " ".join(part for part in (name, number) if part)


def normalise_postcode(postcode: str, *, country: str = "DE") -> str:
    """The comparable postcode: "D-01067", "01067 " and an ERP's "1067" are all "01067".

    A German postcode keeps its digits (five, a lost leading zero restored); another country's
    postcode drops spaces and a country prefix and is written with its country ("AT-1010"), so
    postcodes of different countries never meet.
    """
    text = re.sub(r"\s+", "", postcode.upper())
    country = country.upper()
    if country == "DE":
        digits = re.sub(r"\D", "", text)
        return digits.zfill(5) if len(digits) == 4 else digits
    text = _POSTCODE_COUNTRY_PREFIX.sub("", text)
    return f"{country}-{text}" if text else ""


def normalise_vat_id(vat: str, *, country: str | None = None) -> str | None:
    """The comparable VAT ID, or None when it is empty or not a valid VAT ID.

    Spaces, dots and the case of the country prefix do not matter ("de 136.695.976" is
    "DE136695976"); an ID without prefix takes the country's. The check is the partner import's
    (`partners.imports.vat_id_normalise`, python-stdnum); on top, Greece's ISO prefix GR is
    written EL and a Swiss ID loses its MWST/TVA/IVA suffix, so each company has one key.
    """
    try:
        compact = vat_id_normalise(vat_id=vat, country=country)
    except ValueError:
        return None
    if compact.startswith("GR"):
        compact = "EL" + compact[2:]
    if compact.startswith("CHE"):
        compact = compact[:12]
    return compact or None


@dataclass(frozen=True)
class Company:
    """A company as a registration or a customer names it; `country` is its ISO code."""

    name: str
    street: str = ""
    postcode: str = ""
    city: str = ""
    vat_id: str = ""
    country: str = "DE"


class MatchReason(models.TextChoices):
    """Why two companies were put side by side."""

    VAT_ID = "vat_id", _("same VAT ID")
    NAME = "name", _("same or similar name")
    ADDRESS = "address", _("same address")


class MatchKeyKind(models.TextChoices):
    """The kinds of key a company is stored and looked up under (`MatchKeys.index_entries`)."""

    VAT_ID = "vat_id", _("VAT ID")
    NAME = "name", _("name")
    NAME_WORDS = "name_words", _("words of the name")
    NAME_SIGNATURE = "name_signature", _("signature word of the name")
    ADDRESS = "address", _("address")


@dataclass(frozen=True)
class MatchKeys:
    """What a company is matched by, computed once and stored beside it.

    `name` is the normalised name without spaces ("Muster-Bau" = "Musterbau"), `address` is
    `postcode|street`; a key is None when its parts are missing, and a missing key matches
    nothing.
    """

    vat_id: str | None
    name: str | None
    address: str | None
    name_tokens: frozenset[str]

    @property
    def name_words(self) -> str | None:
        """The name's words in sorted order: equal for names that only differ in word order."""
        if len(self.name_tokens) < MINIMUM_SIMILAR_TOKENS:
            return None
        return " ".join(sorted(self.name_tokens))

    @property
    def name_signature(self) -> frozenset[str]:
        """The words a similar name must share with this one (prefix filtering).

        Two word sets with Jaccard similarity ≥ t share at least ⌈t·n⌉ of the n words of
        each; so, with all words in one fixed order, the first n - ⌈t·n⌉ + 1 words of each set
        have a word in common. The order puts public bodies' words last and long words first
        (both are rare), so a lookup meets few candidates. Names of fewer than
        `_SIGNATURE_FROM_WORDS` words are similar only to the same word set (`name_words` finds
        them), so they carry no signature.
        """
        count = len(self.name_tokens)
        if count < _SIGNATURE_FROM_WORDS:
            return frozenset()
        must_share = math.ceil(NAME_SIMILARITY_THRESHOLD * count)
        ordered = sorted(self.name_tokens, key=_signature_order)
        return frozenset(ordered[: count - must_share + 1])

    def index_entries(self) -> frozenset[tuple[MatchKeyKind, str]]:
        """The (kind, key) rows to store for this company and to look up for a new one.

        Any two companies between which `reasons_between` finds a reason have an entry in
        common; so the conflict check is an equality lookup of these entries in an index on
        (kind, key), then `reasons_between` on the companies found.
        """
        entries: set[tuple[MatchKeyKind, str]] = {
            (MatchKeyKind.NAME_SIGNATURE, word) for word in self.name_signature
        }
        for kind, key in (
            (MatchKeyKind.VAT_ID, self.vat_id),
            (MatchKeyKind.NAME, self.name),
            (MatchKeyKind.NAME_WORDS, self.name_words),
            (MatchKeyKind.ADDRESS, self.address),
        ):
            if key:
                entries.add((kind, key))
        return frozenset(entries)


_CANONICAL_BODIES = frozenset(PUBLIC_BODIES)


def _signature_order(word: str) -> tuple[bool, int, str]:
    return (word in _CANONICAL_BODIES, -len(word), word)


def match_keys(company: Company) -> MatchKeys:
    """The keys the company is stored and looked up under."""
    words = _name_words(company.name)
    postcode = normalise_postcode(company.postcode, country=company.country)
    street = normalise_street(company.street)
    return MatchKeys(
        vat_id=normalise_vat_id(company.vat_id, country=company.country),
        name="".join(words) or None,
        address=f"{postcode}|{street}" if postcode and street else None,
        name_tokens=frozenset(words),
    )


def name_similarity(first: frozenset[str], second: frozenset[str]) -> Fraction:
    """Jaccard similarity of two word sets: shared words over all words (0 for two empties)."""
    union = first | second
    return Fraction(len(first & second), len(union)) if union else Fraction(0)


def names_match(first: MatchKeys, second: MatchKeys) -> bool:
    """Equal normalised names, or word sets of two or more words each similar enough."""
    if first.name is not None and first.name == second.name:
        return True
    return (
        min(len(first.name_tokens), len(second.name_tokens)) >= MINIMUM_SIMILAR_TOKENS
        and name_similarity(first.name_tokens, second.name_tokens) >= NAME_SIMILARITY_THRESHOLD
    )


def reasons_between(first: MatchKeys, second: MatchKeys) -> frozenset[MatchReason]:
    """Why the two companies are the same, or share an address; empty when they don't."""
    reasons = set()
    if first.vat_id is not None and first.vat_id == second.vat_id:
        reasons.add(MatchReason.VAT_ID)
    if names_match(first, second):
        reasons.add(MatchReason.NAME)
    if first.address is not None and first.address == second.address:
        reasons.add(MatchReason.ADDRESS)
    return frozenset(reasons)


def match_reasons(first: Company, second: Company) -> frozenset[MatchReason]:
    """Why the two companies match (see `reasons_between`)."""
    return reasons_between(match_keys(first), match_keys(second))


def is_conflict(reasons: Iterable[MatchReason]) -> bool:
    """A conflict needs the same VAT ID or the same name; the address alone is a hint.

    Unrelated companies share buildings (an office block, a business park), so two
    registrations at one address with different names and VAT IDs are shown side by side as
    "same address, different company" but do not hold the registration.
    """
    reasons = frozenset(reasons)
    return MatchReason.VAT_ID in reasons or MatchReason.NAME in reasons


def is_hint(reasons: Iterable[MatchReason]) -> bool:
    """A match worth showing beside the registration that is not a conflict (same address)."""
    reasons = frozenset(reasons)
    return bool(reasons) and not is_conflict(reasons)
