"""The `partners` import: German Excel and plain files, VAT checks, upsert, all-or-nothing."""

from __future__ import annotations

import pytest

from channeldesk.core.importing import ImportResult
from channeldesk.partners.imports import PARTNERS_IMPORTER, vat_id_normalise
from channeldesk.partners.models import Partner, PartnerStatus
from tests.factories import PartnerFactory
from tests.imports.helpers import (
    DATA,
    database_state,
    excel_csv,
    excel_utf8_csv,
    import_refused,
    problem_lines,
    reimported,
    run_import,
)

pytestmark = pytest.mark.django_db

HEADER = "partner_number;name;street;postal_code;city;country;vat_id;email;status\n"
EXCEL_FILE = HEADER + (
    "P-1001;Alpha Systemhaus GmbH;Hauptstraße 1;80331;München;DE;DE 136 695 976;"
    "info@alpha.example;Authorized\n"
    "P-1002;Bärenstark IT KG;Königsallee 2;40212;Düsseldorf;de;DE812345673;;suspended\n"
)


def test_german_excel_file_creates_the_partners_with_umlauts_and_compact_vat_ids() -> None:
    # Given the register as German Excel saves it (cp1252, ';', CRLF)
    content = excel_csv(EXCEL_FILE)
    # When it is imported
    report = run_import(PARTNERS_IMPORTER, content, name="partners.csv")
    # Then both partners exist exactly as the file says
    assert (report.accepted, report.created, report.updated, report.unchanged) == (True, 2, 0, 0)
    assert (report.encoding, report.delimiter, report.rows) == ("windows-1252", ";", 2)
    assert list(
        Partner.objects.values_list(
            "partner_number", "name", "street", "city", "country", "vat_id", "email", "status"
        )
    ) == [
        (
            "P-1001",
            "Alpha Systemhaus GmbH",
            "Hauptstraße 1",
            "München",
            "DE",
            "DE136695976",
            "info@alpha.example",
            PartnerStatus.AUTHORIZED,
        ),
        (
            "P-1002",
            "Bärenstark IT KG",
            "Königsallee 2",
            "Düsseldorf",
            "DE",
            "DE812345673",
            "",
            PartnerStatus.SUSPENDED,
        ),
    ]
    assert report.summary() == "partners.csv: 2 rows, partners: 2 created, 0 updated, 0 unchanged."


def test_plain_utf8_file_with_optional_columns_imports() -> None:
    content = (DATA / "partners_utf8.csv").read_bytes()
    report = run_import(PARTNERS_IMPORTER, content, name="partners_utf8.csv")
    assert (report.accepted, report.created, report.encoding, report.delimiter) == (
        True,
        2,
        "utf-8",
        ",",
    )
    assert list(
        Partner.objects.values_list("partner_number", "city", "vat_id", "phone", "language")
    ) == [
        ("P-1001", "München", "DE136695976", "+49 89 123456", "de"),
        ("P-1002", "Wien", "ATU13585627", "", "en"),
    ]


def test_utf8_file_with_byte_order_mark_imports() -> None:
    report = run_import(PARTNERS_IMPORTER, excel_utf8_csv(EXCEL_FILE))
    assert (report.accepted, report.created, report.encoding) == (True, 2, "utf-8 (BOM)")
    assert Partner.objects.get(partner_number="P-1002").name == "Bärenstark IT KG"


def test_bad_vat_checksum_rejects_the_file_naming_the_row_and_writes_nothing() -> None:
    # Given a stored partner and a file whose second partner has a mistyped VAT ID
    PartnerFactory(partner_number="P-1001", name="Old Name")
    content = excel_csv(EXCEL_FILE.replace("DE812345673", "DE812345674"))
    # When it is imported, then the file is rejected whole and nothing changed (not even row 1),
    report = rejected(content)
    # with one clear problem
    assert problem_lines(report) == [
        "partners.csv:3: vat_id: VAT ID DE812345674 has an invalid check digit"
    ]
    assert report.summary() == "partners.csv: rejected with 1 problem; nothing was imported."


@pytest.mark.parametrize(
    ("vat_id", "country", "expected"),
    [
        ("DE136695976", "DE", "DE136695976"),
        ("de 136.695.976", "DE", "DE136695976"),
        ("136695976", "DE", "DE136695976"),
        ("U13585627", "AT", "ATU13585627"),
        ("CHE-116.281.710 MWST", "CH", "CHE116281710MWST"),
        ("", "US", ""),
    ],
)
def test_vat_ids_are_checked_and_compacted(vat_id: str, country: str, expected: str) -> None:
    assert vat_id_normalise(vat_id=vat_id, country=country) == expected


@pytest.mark.parametrize(
    ("vat_id", "country", "message"),
    [
        ("DE13669597", "DE", "VAT ID DE13669597 has the wrong number of characters"),
        (
            "XY123456789",
            "DE",
            "VAT ID XY123456789 is not written like a VAT ID of DE",
        ),
        ("12-34", "US", "VAT ID 12-34 cannot be checked for country US; leave it empty"),
        ("123", None, "VAT ID 123 cannot be checked without a valid country; leave it empty"),
    ],
)
def test_uncheckable_vat_ids_say_why(vat_id: str, country: str | None, message: str) -> None:
    with pytest.raises(ValueError, match="VAT ID") as error:
        vat_id_normalise(vat_id=vat_id, country=country)
    assert str(error.value) == message


def rejected(content: bytes) -> ImportResult:
    """The report of importing `content` as partners.csv, refused whole and nothing written."""
    return import_refused(PARTNERS_IMPORTER, content, name="partners.csv")


def test_duplicate_partner_number_in_one_file_is_refused() -> None:
    report = rejected(excel_csv(EXCEL_FILE.replace("P-1002", "P-1001")))
    assert problem_lines(report) == [
        "partners.csv:3: partner_number: P-1001 appears more than once (first on line 2)"
    ]


def test_reimporting_the_same_file_changes_nothing() -> None:
    # Given the file was imported once, when it is imported again,
    report = reimported(PARTNERS_IMPORTER, excel_csv(EXCEL_FILE))
    # then every partner is unchanged, down to updated_at.
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)


def test_a_changed_partner_is_updated_and_the_others_are_left_alone() -> None:
    # Given the file was imported once
    run_import(PARTNERS_IMPORTER, excel_csv(EXCEL_FILE))
    untouched = Partner.objects.filter(partner_number="P-1002").values().get()
    # When the ERP moved partner P-1001 and the file comes again
    report = run_import(
        PARTNERS_IMPORTER, excel_csv(EXCEL_FILE.replace("Hauptstraße 1", "Marienplatz 8"))
    )
    # Then exactly that partner was updated
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    assert Partner.objects.get(partner_number="P-1001").street == "Marienplatz 8"
    assert Partner.objects.filter(partner_number="P-1002").values().get() == untouched


def test_optional_columns_left_out_keep_the_stored_values() -> None:
    # Given a partner with a phone number and English as its language
    PartnerFactory(
        partner_number="P-1001",
        name="Alpha Systemhaus GmbH",
        street="Hauptstraße 1",
        postal_code="80331",
        city="München",
        vat_id="DE136695976",
        email="info@alpha.example",
        phone="+49 89 1",
        language="en",
    )
    # When a file without phone and language columns names it with the same values
    report = run_import(PARTNERS_IMPORTER, excel_csv(HEADER + EXCEL_FILE.splitlines()[1] + "\n"))
    # Then it is unchanged: phone and language are kept
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    assert Partner.objects.values_list("phone", "language").get() == ("+49 89 1", "en")


def test_a_blank_language_cell_keeps_the_language() -> None:
    PartnerFactory(partner_number="P-1002", language="en")
    content = b"partner_number,name,street,postal_code,city,country,vat_id,email,status,language\n"
    content += b"P-1002,Beta,,,,AT,,,authorized,\n"
    report = run_import(PARTNERS_IMPORTER, content)
    assert (report.accepted, report.updated) == (True, 1)
    assert Partner.objects.values_list("name", "language").get() == ("Beta", "en")


def test_dry_run_reports_what_would_happen_and_writes_nothing() -> None:
    PartnerFactory(partner_number="P-1002")
    before = database_state()
    report = run_import(PARTNERS_IMPORTER, excel_csv(EXCEL_FILE), dry_run=True, name="p.csv")
    assert (report.accepted, report.dry_run, report.created, report.updated) == (True, True, 1, 1)
    assert report.summary() == (
        "p.csv: 2 rows, partners: dry run, nothing written; "
        "would be 1 created, 1 updated, 0 unchanged."
    )
    assert database_state() == before


def test_every_bad_cell_is_reported_with_its_row_and_column() -> None:
    content = excel_csv(
        HEADER
        + "P-1;;Weg 1;1;Ort;UK;;no-mail;aktiv\n"
        + "P-2;Zwei;Weg 2;2;Ort;DE;DE136695976;zwei@example.com;terminated\n"
    )
    report = rejected(content)
    assert problem_lines(report) == [
        "partners.csv:2: name: a value is required",
        "partners.csv:2: country: 'UK' is not a two-letter ISO 3166 country code (e.g. DE, AT)",
        "partners.csv:2: email: 'no-mail' is not a valid e-mail address",
        "partners.csv:2: status: Input should be 'authorized', 'suspended' or 'terminated' "
        "(found 'aktiv')",
    ]


def test_a_missing_column_rejects_the_file_and_writes_nothing() -> None:
    report = rejected(excel_csv(EXCEL_FILE.replace(";vat_id", "")))
    assert problem_lines(report) == [
        "partners.csv:1: vat_id: required column is missing from the header"
    ]
    assert report.rows == 0


def test_an_extra_column_is_ignored_with_a_warning_and_the_file_imports() -> None:
    content = excel_csv(
        EXCEL_FILE.replace(";status\n", ";status;Fax\n").replace("Authorized\n", "Authorized;089\n")
    )
    report = run_import(PARTNERS_IMPORTER, content, name="partners.csv")
    assert [str(warning) for warning in report.warnings] == [
        "partners.csv:1: fax: unknown column; ignored"
    ]
    assert (report.accepted, report.created) == (True, 2)
