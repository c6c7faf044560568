"""Import from the spreadsheets regencies already keep: read (in a sandboxed child process),
map columns, normalise messy values, validate every row, then write the good ones in one
transaction; and the BPJS branch's answer to a registration.

``plan_import`` checks without writing (a preview); ``apply_import`` writes a plan.

Imports ``payung.base``, ``payung.auth``, ``payung.schemes``, ``payung.people``,
``payung.finance``, ``payung.enrolment`` and ``db``.
"""

from payung.imports.engine import KINDS, MappingError, apply_import, log_entries, plan_import
from payung.imports.mapping import auto_map
from payung.imports.plans import ImportPlan, RowError, file_hash
from payung.imports.reading import ImportFileError, Sheet, read_table

__all__ = ["KINDS", "ImportFileError", "ImportPlan", "MappingError", "RowError", "Sheet", "apply_import", "auto_map",
           "file_hash", "log_entries", "plan_import", "read_table"]
