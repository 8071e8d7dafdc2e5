"""The imports of the contracts domain, as `channeldesk import` and the API offer them.

Both behave like the other ERP imports (`channeldesk.core.importing`): the whole file or nothing,
every problem with its line and column, German Excel or plain files, re-importing a file changes
nothing, and records missing from a file are kept. Import partners and products first, then
customers, then contracts.

`IMPORTERS` lists every ERP import by name, for `channeldesk import`, the API and the import job
worker (contracts is the highest domain with an import, so this module may see all the others);
`import_followup` is what they do after a written import.
"""

from typing import Any

from channeldesk.catalog.imports import ORDERS_IMPORTER, PRODUCTS_IMPORTER
from channeldesk.contracts.imports.contracts import ContractRow, contracts_import_plan
from channeldesk.contracts.imports.customers import CustomerRow, customers_import_plan
from channeldesk.contracts.models import Contract, Customer
from channeldesk.core.importing import Importer
from channeldesk.partners.imports import PARTNERS_IMPORTER
from channeldesk.tiers.hotlines import caller_numbers_refresh
from channeldesk.training.imports import TRAINING_IMPORTER

CUSTOMERS_IMPORTER = Importer(
    name="customers", row_model=CustomerRow, plan=customers_import_plan, model=Customer
)
CONTRACTS_IMPORTER = Importer(
    name="contracts", row_model=ContractRow, plan=contracts_import_plan, model=Contract
)

# Every import by name, in the order a new installation imports its files.
IMPORTERS: dict[str, Importer[Any]] = {
    importer.name: importer
    for importer in (
        PARTNERS_IMPORTER,
        PRODUCTS_IMPORTER,
        ORDERS_IMPORTER,
        CUSTOMERS_IMPORTER,
        CONTRACTS_IMPORTER,
        TRAINING_IMPORTER,
    )
}


def import_followup(kind: str) -> int | None:
    """What follows an accepted, written import of `kind`, whichever face ran it: after partners,
    new or changed phone numbers route calls at once, not from the nightly rebuild (returns how
    many caller numbers are ready). None when nothing follows."""
    if kind != PARTNERS_IMPORTER.name:
        return None
    return caller_numbers_refresh()
