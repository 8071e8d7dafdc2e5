"""Where a demo partner's end customers sit: its own city and the districts around it.

A reseller looks after organisations it can drive to, so every customer is placed in the
partner's city or in the seat of a neighbouring district (Landkreis). Each district comes with the
name of its administration as it is really written — "Landratsamt" in Bavaria, Baden-Württemberg,
Saxony and Thuringia, "Kreisverwaltung" or "Kreis …" elsewhere, "Landkreis …" in Lower Saxony —
so that public authorities, the sector the seed singles out (R12), read like the real ones. The
seat's main postal code goes with it.

The three city states have no town hall of the usual kind: their district offices
(`CITY_STATE_OFFICES`) take the place of "Stadtverwaltung …".
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class District:
    """A district near a partner city: its administration, the seat and the seat's postal code."""

    authority: str
    town: str
    postal_code: str


def _districts(*rows: tuple[str, str, str]) -> tuple[District, ...]:
    return tuple(District(authority, town, postal_code) for authority, town, postal_code in rows)


# Partner city (a name from `reference.CITIES`) -> the districts around it.
REGIONS: dict[str, tuple[District, ...]] = {
    "Berlin": _districts(
        ("Landkreis Oberhavel", "Oranienburg", "16515"),
        ("Landkreis Barnim", "Eberswalde", "16225"),
        ("Landkreis Dahme-Spreewald", "Lübben (Spreewald)", "15907"),
    ),
    "Hamburg": _districts(
        ("Kreis Pinneberg", "Elmshorn", "25335"),
        ("Kreis Stormarn", "Bad Oldesloe", "23843"),
        ("Landkreis Harburg", "Winsen (Luhe)", "21423"),
    ),
    "München": _districts(
        ("Landratsamt Starnberg", "Starnberg", "82319"),
        ("Landratsamt Dachau", "Dachau", "85221"),
        ("Landratsamt Freising", "Freising", "85354"),
        ("Landratsamt Ebersberg", "Ebersberg", "85560"),
    ),
    "Köln": _districts(
        ("Rhein-Erft-Kreis", "Bergheim", "50126"),
        ("Rheinisch-Bergischer Kreis", "Bergisch Gladbach", "51465"),
        ("Rhein-Sieg-Kreis", "Siegburg", "53721"),
    ),
    "Frankfurt am Main": _districts(
        ("Main-Taunus-Kreis", "Hofheim am Taunus", "65719"),
        ("Hochtaunuskreis", "Bad Homburg vor der Höhe", "61352"),
        ("Kreis Offenbach", "Dietzenbach", "63128"),
    ),
    "Stuttgart": _districts(
        ("Landratsamt Esslingen", "Esslingen am Neckar", "73728"),
        ("Landratsamt Ludwigsburg", "Ludwigsburg", "71638"),
        ("Landratsamt Böblingen", "Böblingen", "71034"),
        ("Landratsamt Rems-Murr-Kreis", "Waiblingen", "71332"),
    ),
    "Düsseldorf": _districts(
        ("Kreis Mettmann", "Mettmann", "40822"),
        ("Rhein-Kreis Neuss", "Grevenbroich", "41515"),
    ),
    "Leipzig": _districts(
        ("Landratsamt Landkreis Leipzig", "Borna", "04552"),
        ("Landratsamt Nordsachsen", "Torgau", "04860"),
    ),
    "Dortmund": _districts(
        ("Kreis Unna", "Unna", "59425"),
        ("Ennepe-Ruhr-Kreis", "Schwelm", "58332"),
    ),
    "Essen": _districts(
        ("Kreis Recklinghausen", "Recklinghausen", "45657"),
        ("Kreis Mettmann", "Mettmann", "40822"),
    ),
    "Bremen": _districts(
        ("Landkreis Osterholz", "Osterholz-Scharmbeck", "27711"),
        ("Landkreis Diepholz", "Diepholz", "49356"),
        ("Landkreis Verden", "Verden (Aller)", "27283"),
    ),
    "Dresden": _districts(
        ("Landratsamt Sächsische Schweiz-Osterzgebirge", "Pirna", "01796"),
        ("Landratsamt Meißen", "Meißen", "01662"),
        ("Landratsamt Bautzen", "Bautzen", "02625"),
    ),
    "Hannover": _districts(
        ("Region Hannover", "Hannover", "30169"),
        ("Landkreis Hildesheim", "Hildesheim", "31134"),
        ("Landkreis Celle", "Celle", "29221"),
    ),
    "Nürnberg": _districts(
        ("Landratsamt Nürnberger Land", "Lauf an der Pegnitz", "91207"),
        ("Landratsamt Fürth", "Zirndorf", "90513"),
        ("Landratsamt Erlangen-Höchstadt", "Erlangen", "91052"),
        ("Landratsamt Roth", "Roth", "91154"),
    ),
    "Duisburg": _districts(
        ("Kreis Wesel", "Wesel", "46483"),
        ("Kreis Kleve", "Kleve", "47533"),
    ),
    "Bochum": _districts(
        ("Ennepe-Ruhr-Kreis", "Schwelm", "58332"),
        ("Kreis Recklinghausen", "Recklinghausen", "45657"),
    ),
    "Wuppertal": _districts(
        ("Kreis Mettmann", "Mettmann", "40822"),
        ("Oberbergischer Kreis", "Gummersbach", "51643"),
    ),
    "Bielefeld": _districts(
        ("Kreis Gütersloh", "Gütersloh", "33332"),
        ("Kreis Herford", "Herford", "32052"),
        ("Kreis Lippe", "Detmold", "32756"),
    ),
    "Bonn": _districts(
        ("Rhein-Sieg-Kreis", "Siegburg", "53721"),
        ("Kreis Ahrweiler", "Bad Neuenahr-Ahrweiler", "53474"),
    ),
    "Münster": _districts(
        ("Kreis Steinfurt", "Steinfurt", "48565"),
        ("Kreis Warendorf", "Warendorf", "48231"),
        ("Kreis Coesfeld", "Coesfeld", "48653"),
    ),
    "Mannheim": _districts(
        ("Landratsamt Rhein-Neckar-Kreis", "Heidelberg", "69115"),
        ("Kreis Bergstraße", "Heppenheim", "64646"),
    ),
    "Karlsruhe": _districts(
        ("Landratsamt Karlsruhe", "Karlsruhe", "76137"),
        ("Landratsamt Rastatt", "Rastatt", "76437"),
    ),
    "Augsburg": _districts(
        ("Landratsamt Augsburg", "Augsburg", "86152"),
        ("Landratsamt Aichach-Friedberg", "Aichach", "86551"),
    ),
    "Wiesbaden": _districts(
        ("Rheingau-Taunus-Kreis", "Bad Schwalbach", "65307"),
        ("Main-Taunus-Kreis", "Hofheim am Taunus", "65719"),
    ),
    "Aachen": _districts(
        ("StädteRegion Aachen", "Aachen", "52070"),
        ("Kreis Düren", "Düren", "52351"),
    ),
    "Braunschweig": _districts(
        ("Landkreis Wolfenbüttel", "Wolfenbüttel", "38300"),
        ("Landkreis Gifhorn", "Gifhorn", "38518"),
        ("Landkreis Peine", "Peine", "31224"),
    ),
    "Kiel": _districts(
        ("Kreis Rendsburg-Eckernförde", "Rendsburg", "24768"),
        ("Kreis Plön", "Plön", "24306"),
    ),
    "Chemnitz": _districts(
        ("Landratsamt Erzgebirgskreis", "Annaberg-Buchholz", "09456"),
        ("Landratsamt Mittelsachsen", "Freiberg", "09599"),
        ("Landratsamt Zwickau", "Zwickau", "08056"),
    ),
    "Halle (Saale)": _districts(
        ("Landkreis Saalekreis", "Merseburg", "06217"),
    ),
    "Magdeburg": _districts(
        ("Landkreis Börde", "Haldensleben", "39340"),
    ),
    "Freiburg im Breisgau": _districts(
        ("Landratsamt Breisgau-Hochschwarzwald", "Freiburg im Breisgau", "79104"),
        ("Landratsamt Emmendingen", "Emmendingen", "79312"),
    ),
    "Mainz": _districts(
        ("Kreisverwaltung Mainz-Bingen", "Ingelheim am Rhein", "55218"),
    ),
    "Lübeck": _districts(
        ("Kreis Ostholstein", "Eutin", "23701"),
        ("Kreis Herzogtum Lauenburg", "Ratzeburg", "23909"),
    ),
    "Erfurt": _districts(
        ("Landratsamt Gotha", "Gotha", "99867"),
        ("Landratsamt Weimarer Land", "Apolda", "99510"),
        ("Landratsamt Ilm-Kreis", "Arnstadt", "99310"),
    ),
    "Rostock": _districts(
        ("Landkreis Rostock", "Güstrow", "18273"),
    ),
    "Kassel": _districts(
        ("Landkreis Kassel", "Kassel", "34117"),
        ("Schwalm-Eder-Kreis", "Homberg (Efze)", "34576"),
    ),
    "Saarbrücken": _districts(
        ("Regionalverband Saarbrücken", "Saarbrücken", "66111"),
        ("Landkreis Saarlouis", "Saarlouis", "66740"),
    ),
    "Regensburg": _districts(
        ("Landratsamt Regensburg", "Regensburg", "93059"),
        ("Landratsamt Kelheim", "Kelheim", "93309"),
    ),
    "Osnabrück": _districts(
        ("Landkreis Osnabrück", "Osnabrück", "49082"),
    ),
    "Heidelberg": _districts(
        ("Landratsamt Rhein-Neckar-Kreis", "Heidelberg", "69115"),
    ),
    "Darmstadt": _districts(
        ("Landkreis Darmstadt-Dieburg", "Darmstadt", "64295"),
        ("Kreis Groß-Gerau", "Groß-Gerau", "64521"),
    ),
    "Paderborn": _districts(
        ("Kreis Paderborn", "Paderborn", "33102"),
        ("Kreis Höxter", "Höxter", "37671"),
    ),
    "Würzburg": _districts(
        ("Landratsamt Würzburg", "Würzburg", "97070"),
        ("Landratsamt Kitzingen", "Kitzingen", "97318"),
    ),
    "Ingolstadt": _districts(
        ("Landratsamt Eichstätt", "Eichstätt", "85072"),
        ("Landratsamt Pfaffenhofen a. d. Ilm", "Pfaffenhofen an der Ilm", "85276"),
    ),
    "Ulm": _districts(
        ("Landratsamt Alb-Donau-Kreis", "Ulm", "89077"),
        ("Landratsamt Neu-Ulm", "Neu-Ulm", "89231"),
    ),
    "Göttingen": _districts(
        ("Landkreis Göttingen", "Göttingen", "37081"),
        ("Landkreis Northeim", "Northeim", "37154"),
    ),
    "Koblenz": _districts(
        ("Kreisverwaltung Mayen-Koblenz", "Koblenz", "56073"),
        ("Kreisverwaltung Neuwied", "Neuwied", "56564"),
    ),
    "Jena": _districts(
        ("Landratsamt Saale-Holzland-Kreis", "Eisenberg", "07607"),
    ),
    "Potsdam": _districts(
        ("Landkreis Potsdam-Mittelmark", "Bad Belzig", "14806"),
        ("Landkreis Havelland", "Rathenow", "14712"),
    ),
    "Oldenburg": _districts(
        ("Landkreis Oldenburg", "Wildeshausen", "27793"),
        ("Landkreis Ammerland", "Westerstede", "26655"),
    ),
    "Reutlingen": _districts(
        ("Landratsamt Reutlingen", "Reutlingen", "72764"),
        ("Landratsamt Tübingen", "Tübingen", "72072"),
    ),
    "Gütersloh": _districts(
        ("Kreis Gütersloh", "Gütersloh", "33332"),
    ),
    "Konstanz": _districts(
        ("Landratsamt Konstanz", "Konstanz", "78467"),
    ),
    "Bamberg": _districts(
        ("Landratsamt Bamberg", "Bamberg", "96052"),
        ("Landratsamt Forchheim", "Forchheim", "91301"),
    ),
    "Passau": _districts(
        ("Landratsamt Passau", "Passau", "94034"),
        ("Landratsamt Freyung-Grafenau", "Freyung", "94078"),
    ),
}

# The city states' district offices stand in for "Stadtverwaltung …".
CITY_STATE_OFFICES: dict[str, tuple[str, ...]] = {
    "Berlin": (
        "Bezirksamt Mitte von Berlin",
        "Bezirksamt Pankow von Berlin",
        "Bezirksamt Charlottenburg-Wilmersdorf von Berlin",
        "Bezirksamt Friedrichshain-Kreuzberg von Berlin",
        "Bezirksamt Tempelhof-Schöneberg von Berlin",
        "Bezirksamt Steglitz-Zehlendorf von Berlin",
        "Bezirksamt Neukölln von Berlin",
        "Bezirksamt Spandau von Berlin",
        "Bezirksamt Reinickendorf von Berlin",
        "Bezirksamt Lichtenberg von Berlin",
        "Bezirksamt Marzahn-Hellersdorf von Berlin",
        "Bezirksamt Treptow-Köpenick von Berlin",
    ),
    "Hamburg": (
        "Bezirksamt Hamburg-Mitte",
        "Bezirksamt Altona",
        "Bezirksamt Eimsbüttel",
        "Bezirksamt Hamburg-Nord",
        "Bezirksamt Wandsbek",
        "Bezirksamt Bergedorf",
        "Bezirksamt Harburg",
    ),
    "Bremen": (
        "Ortsamt Mitte/Östliche Vorstadt",
        "Ortsamt Schwachhausen/Vahr",
        "Ortsamt Vegesack",
        "Ortsamt Neustadt/Woltmershausen",
        "Ortsamt Horn-Lehe",
    ),
}
