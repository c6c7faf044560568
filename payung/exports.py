"""Spreadsheets Payung writes: cells are neutralised against formula injection (a name typed
by someone else that starts with "=", "+", "-" or "@" would otherwise run in Excel)."""

from __future__ import annotations

import io
from collections.abc import Iterable

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Text that Excel would read as a formula is prefixed with an apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def xlsx_bytes(sheets: Iterable[tuple]) -> bytes:
    """An .xlsx file with one sheet per ``(title, headers, rows)`` or ``(title, headers, rows,
    preamble)``: ``preamble`` is ``(label, value)`` pairs written above the table (a bill's
    header block). The header row is bold and frozen."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook(write_only=False)
    book.remove(book.active)
    for title, headers, rows, *rest in sheets:
        preamble = rest[0] if rest else ()
        sheet = book.create_sheet(title[:31])
        for label, value in preamble:
            sheet.append([safe_cell(label), safe_cell(value)])
            sheet.cell(sheet.max_row, 1).font = Font(bold=True)
        if preamble:
            sheet.append([])
        sheet.append([safe_cell(h) for h in headers])
        header_row = sheet.max_row
        for cell in sheet[header_row]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([safe_cell(v) for v in row])
        sheet.freeze_panes = f"A{header_row + 1}"
        for column, header in zip(sheet.columns, headers):
            sheet.column_dimensions[column[0].column_letter].width = max(10, min(45, len(str(header)) + 4))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rejected_rows_xlsx(plan) -> bytes:
    """The rejected rows as they were typed, with their row number and reasons, ready to fix
    and import again."""
    headers = ["Baris", *plan.headers, "Alasan penolakan"]
    rows = ([row, *plan.rejected_values[row], "; ".join(f"{e.column}: {e.message}" if e.column else e.message
                                                          for e in plan.rejected[row])]
            for row in sorted(plan.rejected))
    return xlsx_bytes([("Ditolak", headers, rows)])
