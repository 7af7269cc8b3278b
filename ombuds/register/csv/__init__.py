"""The register in and out of CSV: one file per kind (people, agencies, memberships, credentials).

`import_csv` checks every row before writing any: a file with one bad row writes nothing, and the
report names every bad row with its line, column and reason. A good file is written in one transaction,
matching existing records on their external id, so importing the same file twice changes nothing.
Status changes go through the lifecycle services and leave status events like any other change.
`export_csv` writes the columns `import_csv` reads, so an export imports back unchanged.

Modules: `reading` (decoding, the header, rows), `cells` (each value's parsing and check), `lookup`
(the records rows name), `importers` (people, agencies, the plan and its writing),
`lifecycle_import` (credentials and memberships), `staged` (credentials by sets: a temporary table,
a few statements; `staged_cells`, its cell checks in SQL), `importing` (the entry point), `export`.
The formats are documented in docs/register-csv.md; keep the two in step.
"""

from ombuds.register.csv.cells import normalise_number
from ombuds.register.csv.export import export_csv
from ombuds.register.csv.importers import PROGRESS_EVERY, ProgressCallback
from ombuds.register.csv.importing import import_csv
from ombuds.register.csv.lifecycle_import import CHANGE_REASON, IMPORT_REASON
from ombuds.register.csv.lookup import OMBUDS_ID_PREFIX
from ombuds.register.csv.reading import KINDS, Column, ImportReport, RowError

__all__ = [
    "CHANGE_REASON",
    "IMPORT_REASON",
    "KINDS",
    "OMBUDS_ID_PREFIX",
    "PROGRESS_EVERY",
    "Column",
    "ImportReport",
    "ProgressCallback",
    "RowError",
    "export_csv",
    "import_csv",
    "normalise_number",
]
