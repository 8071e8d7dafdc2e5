"""Fixed reference data of the demo: the product catalogue and the German places partners sit in.

The catalogue mirrors the seed's vendor (R1, R14): boxed retail products that resellers sell over
the counter, enterprise licences per seat or server, and managed security services billed per
user and month. List prices are plausible EUR street prices, so that revenues, discounts (R6)
and the calibrated revenue thresholds come out in believable orders of magnitude.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from channeldesk.catalog.models import ProductKind


@dataclass(frozen=True, slots=True)
class ProductSpec:
    """One catalogue entry, plus how the demo orders it.

    `typical_quantity` is the median quantity a mid-sized reseller puts on one order line (boxes,
    seats, servers or user-months); `popularity` weighs the product against the others of its
    kind.
    """

    sku: str
    name_de: str
    name_en: str
    kind: ProductKind
    list_price: Decimal
    unit: str
    typical_quantity: float
    popularity: float


RETAIL = ProductKind.RETAIL
ENTERPRISE = ProductKind.ENTERPRISE
SERVICE = ProductKind.SERVICE

# One row per product: SKU, kind, list price, unit, typical quantity, popularity, names de/en.
# fmt: off
_PRODUCT_ROWS: tuple[tuple[str, ProductKind, str, str, float, float, str, str], ...] = (
    ("RT-AV-1", RETAIL, "29.95", "piece", 4, 10,
     "Antivirus Classic, Box, 1 PC",
     "Antivirus Classic, box, 1 PC"),
    ("RT-AV-3", RETAIL, "49.95", "piece", 3, 8,
     "Antivirus Classic, Box, 3 PCs",
     "Antivirus Classic, box, 3 PCs"),
    ("RT-IS-1", RETAIL, "49.95", "piece", 4, 9,
     "Internet Security, Box, 1 PC",
     "Internet Security, box, 1 PC"),
    ("RT-IS-3", RETAIL, "69.95", "piece", 3, 7,
     "Internet Security, Box, 3 PCs",
     "Internet Security, box, 3 PCs"),
    ("RT-TS-5", RETAIL, "89.95", "piece", 2, 4,
     "Total Security Familienpaket, Box, 5 PCs",
     "Total Security family pack, box, 5 PCs"),
    ("RT-FW-1", RETAIL, "39.95", "piece", 2, 3,
     "Personal Firewall, Box, 1 PC",
     "Personal Firewall, box, 1 PC"),
    ("RT-MAC-1", RETAIL, "39.95", "piece", 2, 2,
     "Antivirus für Mac, Box, 1 Mac",
     "Antivirus for Mac, box, 1 Mac"),
    ("RT-UPG-IS", RETAIL, "29.95", "piece", 3, 3,
     "Upgrade auf Internet Security, Box",
     "Upgrade to Internet Security, box"),
    ("RT-AS-1", RETAIL, "24.95", "piece", 2, 2,
     "Antispam Home, Box",
     "Antispam Home, box"),
    ("RT-ENC-1", RETAIL, "34.95", "piece", 2, 1,
     "Dateiverschlüsselung Home, Box",
     "File Encryption Home, box"),
    ("EN-EP-STD", ENTERPRISE, "24.00", "seat", 25, 10,
     "Endpoint Protection Standard, je Arbeitsplatz, 12 Monate",
     "Endpoint Protection Standard, per seat, 12 months"),
    ("EN-EP-ADV", ENTERPRISE, "36.00", "seat", 25, 7,
     "Endpoint Protection Advanced, je Arbeitsplatz, 12 Monate",
     "Endpoint Protection Advanced, per seat, 12 months"),
    ("EN-FS", ENTERPRISE, "390.00", "server", 1.5, 4,
     "File Server Security, je Server, 12 Monate",
     "File Server Security, per server, 12 months"),
    ("EN-MAIL", ENTERPRISE, "18.00", "mailbox", 30, 5,
     "Mail Gateway Security, je Postfach, 12 Monate",
     "Mail Gateway Security, per mailbox, 12 months"),
    ("EN-GW", ENTERPRISE, "15.00", "mailbox", 30, 4,
     "Groupware Security, je Postfach, 12 Monate",
     "Groupware Security, per mailbox, 12 months"),
    ("EN-WEB", ENTERPRISE, "14.00", "seat", 30, 3,
     "Web Gateway Security, je Benutzer, 12 Monate",
     "Web Gateway Security, per user, 12 months"),
    ("EN-FDE", ENTERPRISE, "45.00", "seat", 15, 3,
     "Festplattenverschlüsselung, je Arbeitsplatz, 12 Monate",
     "Full Disk Encryption, per seat, 12 months"),
    ("EN-DEV", ENTERPRISE, "12.00", "seat", 20, 2,
     "Device Control, je Arbeitsplatz, 12 Monate",
     "Device Control, per seat, 12 months"),
    ("EN-MGMT", ENTERPRISE, "990.00", "server", 1, 1,
     "Management-Server, je Installation",
     "Management Server, per installation"),
    ("EN-VIRT", ENTERPRISE, "690.00", "host", 1.5, 2,
     "Virtual Server Security, je Host, 12 Monate",
     "Virtual Server Security, per host, 12 months"),
    ("EN-SUP", ENTERPRISE, "6.00", "seat", 30, 3,
     "Premium-Support, je Arbeitsplatz, 12 Monate",
     "Premium Support, per seat, 12 months"),
    ("MS-AV", SERVICE, "1.90", "user-month", 60, 8,
     "Managed Antivirus, je Benutzer und Monat",
     "Managed Antivirus, per user-month"),
    ("MS-MAIL", SERVICE, "1.40", "user-month", 60, 6,
     "Managed Mail Security, je Benutzer und Monat",
     "Managed Mail Security, per user-month"),
    ("MS-WEB", SERVICE, "1.20", "user-month", 50, 3,
     "Managed Web Filter, je Benutzer und Monat",
     "Managed Web Filter, per user-month"),
    ("MS-EDR", SERVICE, "4.50", "user-month", 40, 4,
     "Managed Detection & Response, je Benutzer und Monat",
     "Managed Detection & Response, per user-month"),
    ("MS-BKP", SERVICE, "3.20", "user-month", 40, 4,
     "Managed Backup, je Benutzer und Monat",
     "Managed Backup, per user-month"),
    ("MS-PATCH", SERVICE, "1.60", "user-month", 50, 2,
     "Managed Patch Management, je Benutzer und Monat",
     "Managed Patch Management, per user-month"),
    ("MS-MDM", SERVICE, "2.10", "device-month", 30, 2,
     "Managed Mobile Security, je Gerät und Monat",
     "Managed Mobile Security, per device-month"),
    ("MS-SOC", SERVICE, "6.90", "user-month", 30, 2,
     "Security Monitoring (SOC), je Benutzer und Monat",
     "Security Monitoring (SOC), per user-month"),
    ("MS-FW", SERVICE, "49.00", "site-month", 2, 2,
     "Managed Firewall, je Standort und Monat",
     "Managed Firewall, per site-month"),
    # Billed only by usage statements (R14: per user and day of actual use), never on an order
    # line: popularity 0 keeps it out of the generated orders. The usage demo books it.
    ("MS-ZTNA", SERVICE, "0.12", "user-day", 20, 0,
     "Managed Zero-Trust-Fernzugriff, je Benutzer und Nutzungstag",
     "Managed Zero Trust Remote Access, per user-day of use"),
)
# fmt: on

PRODUCTS: tuple[ProductSpec, ...] = tuple(
    ProductSpec(
        sku=sku,
        name_de=name_de,
        name_en=name_en,
        kind=kind,
        list_price=Decimal(price),
        unit=unit,
        typical_quantity=quantity,
        popularity=popularity,
    )
    for sku, kind, price, unit, quantity, popularity, name_de, name_en in _PRODUCT_ROWS
)


@dataclass(frozen=True, slots=True)
class City:
    """A German city with its real postal code range and dialling code."""

    name: str
    postal_codes: tuple[int, int]
    area_code: str
    weight: int  # roughly the population in 10,000s: where resellers are


CITIES: tuple[City, ...] = (
    City("Berlin", (10115, 14199), "30", 370),
    City("Hamburg", (20095, 22769), "40", 185),
    City("München", (80331, 81929), "89", 150),
    City("Köln", (50667, 51149), "221", 108),
    City("Frankfurt am Main", (60306, 60599), "69", 76),
    City("Stuttgart", (70173, 70629), "711", 63),
    City("Düsseldorf", (40210, 40629), "211", 62),
    City("Leipzig", (4103, 4357), "341", 60),
    City("Dortmund", (44135, 44388), "231", 59),
    City("Essen", (45127, 45359), "201", 58),
    City("Bremen", (28195, 28779), "421", 57),
    City("Dresden", (1067, 1328), "351", 56),
    City("Hannover", (30159, 30659), "511", 54),
    City("Nürnberg", (90402, 90491), "911", 52),
    City("Duisburg", (47051, 47279), "203", 50),
    City("Bochum", (44787, 44894), "234", 36),
    City("Wuppertal", (42103, 42399), "202", 35),
    City("Bielefeld", (33602, 33739), "521", 33),
    City("Bonn", (53111, 53229), "228", 33),
    City("Münster", (48143, 48167), "251", 32),
    City("Mannheim", (68159, 68309), "621", 31),
    City("Karlsruhe", (76131, 76229), "721", 31),
    City("Augsburg", (86150, 86199), "821", 30),
    City("Wiesbaden", (65183, 65207), "611", 28),
    City("Aachen", (52062, 52080), "241", 25),
    City("Braunschweig", (38100, 38126), "531", 25),
    City("Kiel", (24103, 24159), "431", 25),
    City("Chemnitz", (9111, 9247), "371", 24),
    City("Halle (Saale)", (6108, 6132), "345", 24),
    City("Magdeburg", (39104, 39130), "391", 24),
    City("Freiburg im Breisgau", (79098, 79117), "761", 23),
    City("Mainz", (55116, 55131), "6131", 22),
    City("Lübeck", (23552, 23570), "451", 22),
    City("Erfurt", (99084, 99099), "361", 21),
    City("Rostock", (18055, 18147), "381", 21),
    City("Kassel", (34117, 34134), "561", 20),
    City("Saarbrücken", (66111, 66133), "681", 18),
    City("Regensburg", (93047, 93059), "941", 15),
    City("Osnabrück", (49074, 49090), "541", 16),
    City("Heidelberg", (69115, 69126), "6221", 16),
    City("Darmstadt", (64283, 64297), "6151", 16),
    City("Paderborn", (33098, 33106), "5251", 15),
    City("Würzburg", (97070, 97084), "931", 13),
    City("Ingolstadt", (85049, 85057), "841", 14),
    City("Ulm", (89073, 89081), "731", 13),
    City("Göttingen", (37073, 37085), "551", 12),
    City("Koblenz", (56068, 56077), "261", 11),
    City("Jena", (7743, 7751), "3641", 11),
    City("Potsdam", (14467, 14482), "331", 18),
    City("Oldenburg", (26121, 26135), "441", 17),
    City("Reutlingen", (72760, 72770), "7121", 12),
    City("Gütersloh", (33330, 33335), "5241", 10),
    City("Konstanz", (78462, 78467), "7531", 9),
    City("Bamberg", (96047, 96052), "951", 8),
    City("Passau", (94032, 94036), "851", 5),
)

# How resellers are named: the owner's name or a made-up brand, what they do, a legal form.
NAME_PATTERNS: tuple[str, ...] = (
    "{last} IT-Systemhaus {form}",
    "{last} EDV-Service {form}",
    "{last} & {other} Datentechnik {form}",
    "Computer-Service {last} {form}",
    "{last} Netzwerktechnik {form}",
    "IT-Service {last} {form}",
    "{last} Bürosysteme {form}",
    "{last} Informationstechnik {form}",
    "{brand} Systems {city} {form}",
    "{brand} {city} {form}",
    "{last} Software & Beratung {form}",
    "{brand} IT-Security {last} {form}",
    "{last} & {other} {form}",
    "{last} Computer {form}",
)

BRANDS: tuple[str, ...] = (
    "Datacom",
    "Netsafe",
    "Compunet",
    "Infotec",
    "Bytewerk",
    "Sysplan",
    "Datenhaus",
    "Securenet",
    "Softpoint",
    "ProIT",
    "Itecon",
    "Computech",
    "Datalogik",
    "Netcore",
    "Sicherheitswerk",
    "Rechenwerk",
    "Bitfabrik",
    "Cybertec",
    "Logiware",
    "Netzwelt",
    "Systema",
    "Datavis",
    "Conitas",
    "Interdata",
    "Komsys",
    "Medianet",
    "Nordcom",
    "Südnetz",
    "Westfalen-IT",
    "Rheindata",
    "Elbtec",
    "Alpha-Soft",
    "Delta-Net",
    "Omega EDV",
    "Primus IT",
    "Quadrat",
    "Terra-Data",
    "Vektor",
    "Zentral-IT",
    "Brückner-Data",
)

LEGAL_FORMS: tuple[tuple[str, int], ...] = (
    ("GmbH", 12),
    ("GmbH & Co. KG", 4),
    ("KG", 2),
    ("e.K.", 3),
    ("OHG", 1),
    ("AG", 1),
    ("UG (haftungsbeschränkt)", 2),
)

CONTACT_ROLES: tuple[str, ...] = ("Geschäftsführung", "Vertrieb", "Technik", "Einkauf")
