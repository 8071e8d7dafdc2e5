"""The `partners` import: the partner register from the ERP's CSV export (R1).

The ERP owns the partner master data, so the import upserts by partner number: new numbers are
created, changed partners updated, identical ones left untouched (re-importing a file changes
nothing, not even `updated_at`). Partners missing from the file are kept: an export may be partial.
"""

from collections.abc import Sequence
from typing import Annotated, Any, Protocol

from pydantic import Field, ValidationInfo, field_validator
from stdnum import exceptions as stdnum_errors
from stdnum.eu import vat as eu_vat
from stdnum.util import get_cc_module

from channeldesk.core.importing import (
    CaseInsensitive,
    CountryCode,
    EmailOrBlank,
    Importer,
    ImportRow,
    LanguageOrNone,
    NotBlank,
    ProblemLog,
    SourceRow,
    UpsertPlan,
    report_duplicates,
    upsert_plan,
)
from channeldesk.partners.models import Partner, PartnerStatus

# VAT IDs of Greece start with EL, not with the ISO code GR.
_VAT_PREFIX_OF_COUNTRY = {"GR": "EL"}
_EU_VAT_PREFIXES = frozenset(code.upper() for code in eu_vat.MEMBER_STATES) | {"EL"}
_VAT_REASONS: dict[type[Exception], str] = {
    stdnum_errors.InvalidChecksum: "has an invalid check digit",
    stdnum_errors.InvalidLength: "has the wrong number of characters",
    stdnum_errors.InvalidFormat: "is not written like a VAT ID",
    stdnum_errors.InvalidComponent: "starts with an unknown country code",
}


def vat_id_normalise(*, vat_id: str, country: str | None) -> str:
    """The VAT ID in its compact form (`DE136695976`), or ValueError saying what is wrong.

    A bad check digit is the typing error that matters: the VAT ID goes on every invoice. An ID
    written without its country prefix gets the partner's country's prefix. EU IDs are checked
    with `stdnum.eu.vat`, others (e.g. Swiss `CHE-…`) with python-stdnum's module for the
    partner's country; an empty VAT ID is allowed (not every reseller has one).
    """
    compact = "".join(character for character in vat_id if character.isalnum()).upper()
    if not compact:
        return ""
    if not compact[:2].isalpha() and country:
        compact = _VAT_PREFIX_OF_COUNTRY.get(country, country) + compact
    module = _vat_module(prefix=compact[:2], country=country)
    if module is None:
        where = f"for country {country}" if country else "without a valid country"
        raise ValueError(f"VAT ID {vat_id} cannot be checked {where}; leave it empty")
    try:
        return str(module.validate(compact))
    except stdnum_errors.ValidationError as error:
        reason = _VAT_REASONS.get(type(error), "is not valid")
        of_country = f" of {country}" if type(error) is stdnum_errors.InvalidFormat else ""
        raise ValueError(f"VAT ID {vat_id} {reason}{of_country}") from None


class _VatModule(Protocol):
    """What python-stdnum's VAT modules offer (`stdnum.eu.vat`, `stdnum.ch.vat`, ...)."""

    def validate(self, number: str) -> str: ...


def _vat_module(*, prefix: str, country: str | None) -> _VatModule | None:
    if prefix in _EU_VAT_PREFIXES:
        return eu_vat
    return get_cc_module(country.lower(), "vat") if country else None


class PartnerRow(ImportRow):
    """One partner. `country` comes before `vat_id` because the VAT check needs the country."""

    partner_number: Annotated[str, Field(max_length=32), NotBlank]
    name: Annotated[str, Field(max_length=200), NotBlank]
    street: Annotated[str, Field(max_length=200)]
    postal_code: Annotated[str, Field(max_length=16)]
    city: Annotated[str, Field(max_length=100)]
    country: CountryCode
    vat_id: str
    email: EmailOrBlank
    status: Annotated[PartnerStatus, CaseInsensitive]
    phone: Annotated[str, Field(max_length=32)] = ""
    language: LanguageOrNone = None

    @field_validator("vat_id")
    @classmethod
    def _vat_id_checks_out(cls, value: str, info: ValidationInfo) -> str:
        return vat_id_normalise(vat_id=value, country=info.data.get("country"))

    def field_values(self) -> dict[str, Any]:
        """The partner's fields from this row: optional columns only when the file has them.

        An empty `language` cell keeps the partner's language (new partners get the default).
        """
        values = self.model_dump(include=self.model_fields_set - {"partner_number"})
        if values.get("language") is None:
            values.pop("language", None)
        return values


def partners_import_plan(
    *, rows: Sequence[SourceRow[PartnerRow]], problems: ProblemLog
) -> UpsertPlan[Partner]:
    """Plan the upsert by partner number; a partner number twice in one file is a problem."""
    report_duplicates(
        rows=rows, key=lambda row: row.partner_number, column="partner_number", problems=problems
    )
    values = {row.data.partner_number: row.data.field_values() for row in rows}
    return upsert_plan(model=Partner, key_field="partner_number", values=values)


PARTNERS_IMPORTER = Importer(
    name="partners", row_model=PartnerRow, plan=partners_import_plan, model=Partner
)
