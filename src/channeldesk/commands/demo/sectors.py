"""The end customers' sector mix: how many of each, how big, and how they are named.

Public authorities are the largest single sector on purpose. The seed reports that about a
quarter of the customers are under-licensed, "public authorities in front" (R12); the licensing
issue's compliance report groups by sector, so the demo needs enough of them to show that. Their
share (22 % by weight) is what a German reseller of security software for the public sector
would see: town halls, district offices, courts, tax offices, job centres.

Sizes are workstations, log-normal around a median per sector and per kind of organisation (a
town hall is bigger than a tax office, a hospital bigger than a practice); every seat count of a
customer's contracts follows from its workstations (`subscriptions`).

Name patterns use these fields: `{town}` (where the customer sits), `{district}` (the district's
administration, which puts the customer in the district seat), `{office}` (the town hall, or a
city state's district office), `{last}` and `{other}` (surnames from Faker `de_DE`), `{form}` (a
legal form), and `{famous}`, `{saint}`, `{direction}`, `{park}` from the lists below.
"""

from __future__ import annotations

from dataclasses import dataclass

from channeldesk.contracts.models import CustomerSector

ORGANISATION_DOMAIN = "example.org"  # authorities, schools, hospitals, associations
COMPANY_DOMAIN = "example.com"


@dataclass(frozen=True, slots=True)
class NamePattern:
    """A way to name a customer of the sector; `size` scales the sector's median workstations."""

    pattern: str
    weight: int
    size: float = 1.0


@dataclass(frozen=True, slots=True)
class SectorShape:
    """A sector's weight in the mix, its size distribution, how often it corresponds in English
    and the reserved domain its contacts' e-mail addresses use."""

    weight: int
    median_workstations: float
    spread: float
    english: float
    domain: str
    names: tuple[NamePattern, ...]


def _names(*rows: tuple[str, int] | tuple[str, int, float]) -> tuple[NamePattern, ...]:
    return tuple(NamePattern(*row) for row in rows)


SECTORS: dict[CustomerSector, SectorShape] = {
    CustomerSector.PUBLIC_AUTHORITY: SectorShape(
        weight=22,
        median_workstations=160,
        spread=0.7,
        english=0.0,
        domain=ORGANISATION_DOMAIN,
        names=_names(
            ("{office}", 5, 2.5),
            ("{district}", 5, 2.5),
            ("Finanzamt {town}", 2),
            ("Amtsgericht {town}", 2, 0.6),
            ("Jobcenter {town}", 2),
            ("Agentur für Arbeit {town}", 1),
            ("Gesundheitsamt {town}", 1, 0.5),
            ("Polizeiinspektion {town}", 1, 0.6),
            ("Staatliches Schulamt {town}", 1, 0.3),
            ("Vermessungs- und Katasteramt {town}", 1, 0.4),
            ("Straßenverkehrsamt {town}", 1, 0.4),
            ("Zweckverband Wasserversorgung {town}", 1, 0.3),
        ),
    ),
    CustomerSector.EDUCATION: SectorShape(
        weight=12,
        median_workstations=70,
        spread=0.6,
        english=0.01,
        domain=ORGANISATION_DOMAIN,
        names=_names(
            ("{famous}-Gymnasium {town}", 4, 1.3),
            ("{famous}-Realschule {town}", 2),
            ("{famous}-Grundschule {town}", 2, 0.4),
            ("Gesamtschule {town}-{direction}", 2, 1.3),
            ("Berufliche Schulen {town}", 2, 2.0),
            ("Volkshochschule {town}", 2, 0.6),
            ("Musikschule {town}", 1, 0.3),
        ),
    ),
    CustomerSector.HEALTHCARE: SectorShape(
        weight=11,
        median_workstations=120,
        spread=0.7,
        english=0.02,
        domain=ORGANISATION_DOMAIN,
        names=_names(
            ("Klinikum {town}", 2, 5.0),
            ("Kreiskrankenhaus {town}", 1, 2.5),
            ("St.-{saint}-Krankenhaus {town}", 2, 2.5),
            ("Marienhospital {town}", 1, 2.5),
            ("Gemeinschaftspraxis Dr. {last} und Dr. {other}", 2, 0.12),
            ("MVZ {town} GmbH", 2, 0.4),
            ("Seniorenzentrum am {park}", 2, 0.3),
            ("Zahnarztpraxis Dr. {last}", 1, 0.1),
            ("Radiologie {town} Dr. {last} und Kollegen", 1, 0.25),
            ("Dialysezentrum {town}", 1, 0.2),
        ),
    ),
    CustomerSector.FINANCE: SectorShape(
        weight=7,
        median_workstations=100,
        spread=0.7,
        english=0.05,
        domain=COMPANY_DOMAIN,
        names=_names(
            ("Sparkasse {town}", 2, 3.5),
            ("Volksbank {town} eG", 2, 2.0),
            ("Raiffeisenbank {town} eG", 1, 1.0),
            ("{last} Versicherungsmakler {form}", 2, 0.2),
            ("Steuerberatung {last} & Partner mbB", 2, 0.2),
            ("{last} & {other} Wirtschaftsprüfungsgesellschaft mbH", 1, 0.5),
            ("{last} Vermögensverwaltung AG", 1, 0.3),
        ),
    ),
    CustomerSector.MANUFACTURING: SectorShape(
        weight=18,
        median_workstations=90,
        spread=0.9,
        english=0.12,
        domain=COMPANY_DOMAIN,
        names=_names(
            ("{last} Maschinenbau {form}", 3),
            ("{last} Metallbau {form}", 2, 0.6),
            ("{last} Kunststofftechnik {form}", 2),
            ("{last} Elektrotechnik {form}", 2, 0.7),
            ("{last} Präzisionsteile {form}", 1),
            ("Druckerei {last} {form}", 1, 0.5),
            ("{last} Fahrzeugbau {form}", 1, 1.5),
            ("{last} Verpackungen {form}", 1),
            ("{last} Holzbau {form}", 1, 0.4),
            ("{last} Stahlbau {form}", 1),
            ("{last} Antriebstechnik {form}", 1, 1.5),
            ("Brauerei {last} {form}", 1, 0.5),
        ),
    ),
    CustomerSector.RETAIL: SectorShape(
        weight=10,
        median_workstations=40,
        spread=0.8,
        english=0.03,
        domain=COMPANY_DOMAIN,
        names=_names(
            ("Autohaus {last} {form}", 3),
            ("Möbelhaus {last} {form}", 1, 1.5),
            ("{last} Baustoffhandel {form}", 2),
            ("Getränke {last} {form}", 1),
            ("{last} Großhandel {form}", 2, 2.0),
            ("Modehaus {last} {form}", 1),
            ("Elektro {last} {form}", 1, 0.6),
            ("Sanitätshaus {last} {form}", 1, 0.5),
            ("Buchhandlung {last}", 1, 0.3),
        ),
    ),
    CustomerSector.SERVICES: SectorShape(
        weight=15,
        median_workstations=40,
        spread=0.8,
        english=0.1,
        domain=COMPANY_DOMAIN,
        names=_names(
            ("{last} Rechtsanwälte PartG mbB", 2, 0.5),
            ("Ingenieurbüro {last} {form}", 2, 0.5),
            ("Architekturbüro {last} & {other}", 1, 0.4),
            ("Spedition {last} {form}", 2, 1.5),
            ("{last} Logistik {form}", 1, 1.5),
            ("{last} Immobilien {form}", 1, 0.5),
            ("{last} Personaldienstleistungen {form}", 1),
            ("{last} Gebäudereinigung {form}", 1),
            ("{last} Unternehmensberatung {form}", 1, 0.7),
            ("Stadtwerke {town} GmbH", 2, 4.0),
            ("Parkhotel {town}", 1, 0.5),
            ("Werbeagentur {last}", 1, 0.3),
        ),
    ),
    CustomerSector.OTHER: SectorShape(
        weight=5,
        median_workstations=35,
        spread=0.8,
        english=0.02,
        domain=ORGANISATION_DOMAIN,
        names=_names(
            ("Evangelische Kirchengemeinde {town}-{direction}", 1, 0.3),
            ("Caritasverband {town} e.V.", 2, 2.0),
            ("Diakonisches Werk {town} e.V.", 1, 1.5),
            ("DRK-Kreisverband {town} e.V.", 1),
            ("AWO Kreisverband {town} e.V.", 1),
            ("Kreishandwerkerschaft {town}", 1, 0.5),
            ("Stiftung {last}", 1, 0.4),
            ("Jugendherberge {town}", 1, 0.3),
        ),
    ),
}

FAMOUS: tuple[str, ...] = (
    "Goethe",
    "Schiller",
    "Lessing",
    "Humboldt",
    "Kepler",
    "Gutenberg",
    "Leibniz",
    "Einstein",
    "Max-Planck",
    "Geschwister-Scholl",
    "Albert-Schweitzer",
    "Heinrich-Heine",
    "Anne-Frank",
    "Marie-Curie",
    "Carl-Friedrich-Gauß",
    "Theodor-Heuss",
    "Käthe-Kollwitz",
    "Hildegard-von-Bingen",
    "Bertha-von-Suttner",
    "Brüder-Grimm",
    "Erich-Kästner",
)
SAINTS: tuple[str, ...] = (
    "Elisabeth",
    "Josef",
    "Vinzenz",
    "Franziskus",
    "Antonius",
    "Martin",
    "Johannes",
    "Hedwig",
    "Barbara",
    "Anna",
)
DIRECTIONS: tuple[str, ...] = ("Nord", "Süd", "Ost", "West", "Mitte")
PARKS: tuple[str, ...] = (
    "Stadtpark",
    "Schlossgarten",
    "Rosengarten",
    "Mühlbach",
    "Lindenhof",
    "Sonnenhang",
)

# Departments of a town hall or district office that buy for themselves.
DEPARTMENTS: tuple[str, ...] = (
    "Hauptamt",
    "Amt für Informationstechnik",
    "Schulverwaltungsamt",
    "Ordnungsamt",
    "Bürgeramt",
    "Bauordnungsamt",
    "Jugendamt",
    "Sozialamt",
    "Kämmerei",
    "Umweltamt",
)

# Why a contract was cancelled, as the back office writes it down.
CANCELLATION_REASONS: tuple[str, ...] = (
    "Kunde wechselt zu einem Mitbewerber",
    "Standort wird geschlossen",
    "Budget für das kommende Jahr gestrichen",
    "Umstieg auf Managed Service",
    "Lizenzen werden nicht mehr benötigt",
    "Fusion mit einem anderen Unternehmen",
    "Ausschreibung an einen anderen Anbieter vergeben",
)
