"""An import that writes leaves one audit entry with its counts and file; one that writes
nothing (rejected, dry run, nothing changed) leaves none."""

from __future__ import annotations

import pytest

from channeldesk.audit.models import AuditEntry
from channeldesk.partners.imports import PARTNERS_IMPORTER
from tests.imports.helpers import excel_csv, run_import

pytestmark = pytest.mark.django_db

FILE = (
    "partner_number;name;street;postal_code;city;country;vat_id;email;status\n"
    "P-1001;Alpha Systemhaus GmbH;Hauptstraße 1;80331;München;DE;DE 136 695 976;;Authorized\n"
    "P-1002;Bärenstark IT KG;Königsallee 2;40212;Düsseldorf;de;DE812345673;;suspended\n"
)


def _import_entries() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(kind="import.partners").order_by("pk"))


def test_an_import_that_writes_leaves_one_entry_with_its_counts_and_file() -> None:
    run_import(PARTNERS_IMPORTER, excel_csv(FILE), name="partner-register.csv")

    [entry] = _import_entries()
    assert entry.counts == {"created": 2, "updated": 0, "unchanged": 0}
    assert entry.additional_data == {"file": "partner-register.csv"}
    assert entry.content_type.model == "partner"


def test_an_update_is_one_more_entry_and_an_unchanged_file_none() -> None:
    run_import(PARTNERS_IMPORTER, excel_csv(FILE))
    run_import(PARTNERS_IMPORTER, excel_csv(FILE))
    run_import(PARTNERS_IMPORTER, excel_csv(FILE.replace("Hauptstraße 1", "Marienplatz 8")))

    assert [entry.counts for entry in _import_entries()] == [
        {"created": 2, "updated": 0, "unchanged": 0},
        {"created": 0, "updated": 1, "unchanged": 1},
    ]


def test_a_rejected_file_and_a_dry_run_leave_no_entry() -> None:
    run_import(PARTNERS_IMPORTER, excel_csv(FILE), dry_run=True)
    run_import(PARTNERS_IMPORTER, excel_csv(FILE.replace("DE812345673", "DE812345670")))

    assert _import_entries() == []
