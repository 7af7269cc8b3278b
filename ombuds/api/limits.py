"""What the API accepts, field by field: every input string has a maximum length (a text stored in
a column of the database: the column's own), every list a maximum number of items, every number a
range, and no string a NUL character (PostgreSQL cannot store one). Past any of them the request is
refused with 422 and a problem listing every fault (`ombuds.api.problems`), before anything is read or written, on
every database alike.

The limits themselves (`ombuds.core.limits`) are re-exported here for the API's schemas.
"""

from __future__ import annotations

# The limits themselves are in ombuds.core.limits (the complaint JSON of ombuds.cases uses them too).
from ombuds.core.limits import (  # noqa: F401  (re-exported)
    DETAILS,
    ID_MAX,
    LIST_ITEMS,
    NARRATIVE,
    NO_NUL,
    OUTCOME,
    PASSPHRASE,
    column,
    column_item,
    item,
    row_id,
    text,
)
