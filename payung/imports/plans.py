"""What every kind of import shares: the plan that checking a file produces (new rows,
updates, unchanged, rejected rows with their reasons, in bounded memory), how a row's cells are
read (one bad cell is that row's error, never the end of the file), and the rejected rows as a
file to fix and import again."""

from __future__ import annotations

import hashlib
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from db import queries
from payung.auth.access import scope_of

from payung.base.formats import count
from payung.base.spreadsheets import xlsx_bytes
from payung.imports.normalize import RegionResolver
from payung.imports.reading import Sheet

#: Rejected rows kept with their cells and reasons (for the page, --json and the file to fix);
#: beyond them only the count is kept, so a file of a million bad rows cannot fill the memory.
MAX_REJECTED_KEPT = 10_000
#: The reason of a cell whose reading failed in a way no parser foresaw (logged for a developer).
CELL_UNREADABLE = "nilai tidak dapat dibaca"
_log = logging.getLogger("payung.imports")
_logged: set[tuple[str, str]] = set()


#: How many respelled names an import plan lists (``ImportPlan.respelled``); the rest are counted.
RESPELLED_KEPT = 200


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ImportPlan:
    kind: str
    file_name: str
    file_hash: str
    headers: list[str]
    mapping: dict[str, str]
    #: The rows to add: dicts (a worker import keeps them packed, ``chunks.PackedRows``).
    new: list[dict] = field(default_factory=list)
    #: (id, before, changes): of ``before`` only where the row lies and the old values of what changes.
    updates: list[tuple[int, dict, dict]] = field(default_factory=list)
    unchanged: int = 0
    rejected: dict[int, list[RowError]] = field(default_factory=dict)
    rejected_values: dict[int, list] = field(default_factory=dict)
    warnings: int = 0
    #: The value mapping used (field -> typed text -> code), e.g. from the import template.
    values: dict[str, dict] = field(default_factory=dict)
    #: Coded values no code matched: field -> typed text -> {count, suggestions, ambiguous}.
    unknown: dict[str, dict[str, dict]] = field(default_factory=dict)
    #: For sponsorships: the bulk plan (``payung.enrolment.bulk.BulkPlan``) that ``apply_import`` writes,
    #: and how its outcome becomes this plan's rows (again when it is planned anew at apply time).
    bulk: object = None
    collect_bulk: Callable | None = None
    #: Names read as a close spelling of another (a village: "Tlogopayang" -> "Tlogopayung
    #: (Kecamatan Bodeh)"): typed text -> {"name", "count"}, said before the import is written.
    read_as: dict[str, dict] = field(default_factory=dict)
    #: Stored names a worker or sponsor import writes in the file's richer spelling (the same
    #: name, with its accents or its mixed case: "Jose Rizal" -> "José Rizal"): stored -> new, said
    #: before; the first ``RESPELLED_KEPT`` of them, all counted in ``respelled_count``.
    respelled: dict[str, str] = field(default_factory=dict)
    respelled_count: int = 0
    #: Every rejected row, counted; only the first ``keep_rejected`` are in ``rejected``.
    rejected_count: int = 0
    keep_rejected: int = MAX_REJECTED_KEPT

    @property
    def counts(self) -> dict[str, int]:
        return {"imported": len(self.new), "updated": len(self.updates), "unchanged": self.unchanged,
                "rejected": max(self.rejected_count, len(self.rejected))}

    @property
    def rejected_not_kept(self) -> int:
        """Rejected rows counted but not listed (beyond ``keep_rejected``)."""
        return self.counts["rejected"] - len(self.rejected)

    def note_unknown(self, name: str, text: str, found) -> None:
        """Count a coded value no code matched (``values.Match``), for the value mapping step."""
        entry = self.unknown.setdefault(name, {}).setdefault(text, {
            "count": 0, "ambiguous": found.ambiguous, "suggestions": [(c, label) for c, label, _ in found.suggestions],
            "prefill": found.prefill, "refused": found.refused})
        entry["count"] += 1

    def note_read_as(self, typed: str, name: str) -> None:
        """Count a row whose ``typed`` name was read as the close spelling ``name``."""
        self.read_as.setdefault(typed, {"name": name, "count": 0})["count"] += 1

    def note_respelled(self, stored: str, spelled: str) -> None:
        """Note a stored name the import writes as ``spelled`` (same name, richer spelling); past
        ``RESPELLED_KEPT`` names only counted (a re-import of a regency's workers respelled)."""
        self.respelled_count += 1
        if len(self.respelled) < RESPELLED_KEPT:
            self.respelled[stored] = spelled

    def rejected_only(self) -> ImportPlan:
        """The rejected rows of this plan, with their cells and reasons, and nothing it wrote:
        what is kept after an import, for the person to fix and import again."""
        return ImportPlan(self.kind, self.file_name, self.file_hash, self.headers, self.mapping,
                          rejected=self.rejected, rejected_values=self.rejected_values,
                          rejected_count=self.rejected_count, keep_rejected=self.keep_rejected)

    @property
    def errors(self) -> list[RowError]:
        return [e for row in sorted(self.rejected) for e in self.rejected[row]]

    def summary(self) -> dict:
        summary = {**self.counts, "errors": [e.as_dict() for e in self.errors],
                   "unknown_values": {name: {text: v["count"] for text, v in typed.items()}
                                      for name, typed in self.unknown.items()}}
        if self.rejected_not_kept:
            summary["rejected_not_listed"] = self.rejected_not_kept
        if self.read_as:
            summary["read_as"] = {typed: v["name"] for typed, v in self.read_as.items()}
        if self.respelled:
            summary["respelled"] = dict(self.respelled)
            summary["respelled_count"] = self.respelled_count
        return summary


def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def data_rows(sheet: Sheet):
    """(file row number, cells) of the non-empty data rows (rows the reader could not read are
    rejected by ``engine.plan_import`` and left out here). The number is the row's line in the file
    (its row in the sheet), also after a cell written over several lines."""
    unreadable = sheet.row_errors
    line = sheet.line if sheet.line_shifts else None
    first = sheet.header_row + 1
    for index, cells in enumerate(sheet.rows):
        if unreadable and index in unreadable:
            continue
        if any(c is not None and str(c).strip() for c in cells):
            yield (line(index) if line else first + index), cells


def parse_cell(parse: Callable, *args):
    """``(parse(*args), None)``, or ``(None, reason)`` when the cell cannot be read: the
    parser's own Indonesian reason, or ``CELL_UNREADABLE`` for a failure no parser foresaw (a
    value built to break it). One cell never stops the file; the failure is logged once per
    parser and kind of error, with its traceback, for whoever maintains Payung."""
    try:
        return parse(*args), None
    except ValueError as exc:
        return None, str(exc)
    except Exception as exc:  # noqa: BLE001 - any failure on one cell is that row's error
        key = (getattr(parse, "__qualname__", repr(parse)), type(exc).__name__)
        if key not in _logged:
            _logged.add(key)
            _log.warning("import: %s failed on a cell (%s); the row is rejected as '%s'", key[0], key[1],
                         CELL_UNREADABLE, exc_info=True)
        return None, CELL_UNREADABLE


def raw_values(cells: list, fields: list[tuple[str, int]]) -> dict:
    """field -> the cell's value (stripped text, or the number/date as read); blanks left out."""
    raw = {}
    width = len(cells)
    for name, i in fields:
        if i < width:
            value = cells[i]
            if type(value) is str:
                value = value.strip()
                if value:
                    raw[name] = value
            elif value is not None:
                raw[name] = value
    return raw


def cell_text(value) -> str | None:
    """Numbers typed in cells (phone 81234567890.0) back to digits."""
    if value is None or type(value) is str:
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def reject(plan: ImportPlan, row: int, cells: list, errors: list[RowError]) -> None:
    """Count a rejected row; keep it with its cells (the same strings as the sheet's: no copy)
    and reasons while fewer than ``plan.keep_rejected`` are kept."""
    if row in plan.rejected:
        plan.rejected[row].extend(errors)
        return
    plan.rejected_count = max(plan.rejected_count, len(plan.rejected)) + 1
    if len(plan.rejected) < plan.keep_rejected:
        plan.rejected[row] = list(errors)
        plan.rejected_values[row] = list(cells)


def region_resolver(db, actor=None) -> RegionResolver:
    """Village and district names of the database, for the names typed in a file; a village
    operator (``actor``) is suggested only its own villages for a name not found (another
    village's row would be refused as outside its villages)."""
    villages = scope_of(actor).villages if actor is not None else None
    return RegionResolver(queries.region_names(db, 3), queries.region_names(db, 4),
                          suggested=frozenset(villages) if villages is not None else None)


def rejected_rows_xlsx(plan) -> bytes:
    """The rejected rows as they were typed, with their row number and reasons, ready to fix
    and import again. A plan that kept only the first rejected rows says so in a last row."""
    headers = ["Baris", *plan.headers, "Alasan penolakan"]
    rows = ([row, *plan.rejected_values[row], "; ".join(f"{e.column}: {e.message}" if e.column else e.message
                                                          for e in plan.rejected[row])]
            for row in sorted(plan.rejected))
    left_out = getattr(plan, "rejected_not_kept", 0)
    if left_out:
        note = (f"{count(left_out)} baris lain juga ditolak tetapi tidak dicantumkan di sini (hanya "
                f"{count(len(plan.rejected))} baris pertama). Perbaiki baris-baris ini, lalu periksa berkasnya lagi "
                "untuk melihat sisanya.")
        rows = itertools.chain(rows, [["", *[""] * len(plan.headers), note]])
    return xlsx_bytes([("Ditolak", headers, rows)])
