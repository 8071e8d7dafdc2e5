"""The imports of the contracts domain, as `channeldesk import` and the API offer them.

Both behave like the other ERP imports (`channeldesk.core.importing`): the whole file or nothing,
every problem with its line and column, German Excel or plain files, re-importing a file changes
nothing, and records missing from a file are kept. Import partners and products first, then
customers, then contracts.
"""

from channeldesk.contracts.importing_contracts import ContractRow, contracts_import_plan
from channeldesk.contracts.importing_customers import CustomerRow, customers_import_plan
from channeldesk.contracts.models import Contract, Customer
from channeldesk.core.importing import Importer

CUSTOMERS_IMPORTER = Importer(
    name="customers", row_model=CustomerRow, plan=customers_import_plan, model=Customer
)
CONTRACTS_IMPORTER = Importer(
    name="contracts", row_model=ContractRow, plan=contracts_import_plan, model=Contract
)
