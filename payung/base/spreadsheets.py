"""Spreadsheets Payung writes: cells are neutralised against formula injection (a name typed
by someone else that starts with "=", "+", "-" or "@" would otherwise run in Excel), and text
that XML cannot hold (control characters stored before Payung refused them) is replaced, so
no stored value can make an export fail."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable

from payung.base.formats import XLSX_MONEY
from payung.base.text import xml_safe

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Text that Excel would read as a formula is prefixed with an apostrophe; characters an
    .xlsx cannot hold (NUL, ESC, BEL...) become U+FFFD."""
    if isinstance(value, str):
        value = xml_safe(value)
        if value.startswith(_FORMULA_START):
            return "'" + value
    return value


#: Text that Excel would read as a formula, behind apostrophes already put before it (``unquoted``).
_QUOTED_FORMULA = re.compile(r"'*[=+\-@\t\r]")


def quoted(text: str) -> str:
    """Text as a table's data under its display (what the table's "Unduh CSV" writes, which
    Excel opens): one that Excel would run as a formula ("=HYPERLINK(...)", a worker's name
    typed by someone else) gets an apostrophe before it, as ``safe_cell``; so does one that
    already had apostrophes before such a start, so that ``unquoted`` gives every text back.
    A lone character ("-", an empty cell's mark) is no formula and stays."""
    return "'" + text if len(text) > 1 and _QUOTED_FORMULA.match(text) else text


def unquoted(text):
    """What ``quoted`` was given: the text shown on screen over the quoted data."""
    return text[1:] if isinstance(text, str) and len(text) > 2 and text[0] == "'" and _QUOTED_FORMULA.match(text[1:]) else text


def _shown_length(value) -> int:
    """How many characters a cell takes on screen (amounts with their thousands separators)."""
    if isinstance(value, bool) or value is None:
        return len(str(value or ""))
    if isinstance(value, int):
        return len(f"{value:,}")
    if isinstance(value, float):
        return len(f"{value:,.2f}")
    return max((len(part) for part in str(value).splitlines()), default=0)


def _is_nik(header) -> bool:
    return "NIK" in str(header).upper().split() or str(header).upper().startswith("NIK")


def xlsx_bytes(sheets: Iterable[tuple]) -> bytes:
    """An .xlsx file with one sheet per ``(title, headers, rows)`` or ``(title, headers, rows,
    preamble)``: ``preamble`` is ``(label, value)`` pairs written above the table (a bill's
    header block). For people: the header row is bold, frozen and filterable; amounts read
    ``1.250.000`` (``#,##0``); a NIK column is text (Excel would make 16 digits ``3,3E+15``);
    every column is as wide as its content and the header block's labels; it prints landscape,
    one page wide, the header row repeated on every page."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter


    book = Workbook(write_only=False)
    book.remove(book.active)
    for title, headers, rows, *rest in sheets:
        headers = list(headers)
        preamble = rest[0] if rest else ()
        # Excel refuses []:*?/\ in a sheet's name ("Per desa/kelurahan"); XML refuses control characters.
        sheet = book.create_sheet(re.sub(r"[\[\]:*?/\\]", "-", xml_safe(str(title)))[:31])
        widths = [len(str(h)) for h in headers] or [0]
        # Row numbers are counted here: openpyxl's ``max_row`` scans every cell written so far,
        # which read once per row made a long export quadratic (8.000 rows: minutes).
        current = 0
        for label, value in preamble:
            sheet.append([safe_cell(label), safe_cell(value)])
            current += 1
            sheet.cell(current, 1).font = Font(bold=True)
            if isinstance(value, int) and not isinstance(value, bool):
                sheet.cell(current, 2).number_format = XLSX_MONEY
            widths[0] = max(widths[0], len(str(label)))
        if preamble:
            sheet.append([])
            current += 1
        sheet.append([safe_cell(h) for h in headers])
        current += 1
        header_row = current
        for cell in sheet[header_row]:
            cell.font = Font(bold=True)
        nik_columns = {i for i, h in enumerate(headers) if _is_nik(h)}
        for row in rows:
            values = [str(v) if i in nik_columns and v is not None and v != "" else v for i, v in enumerate(row)]
            sheet.append([safe_cell(v) for v in values])
            current += 1
            for i, value in enumerate(values):
                if i >= len(widths):
                    widths.append(0)
                widths[i] = max(widths[i], _shown_length(value))
                if i in nik_columns:
                    sheet.cell(current, i + 1).number_format = "@"
                elif isinstance(value, (int, float)) and not isinstance(value, bool):
                    sheet.cell(current, i + 1).number_format = XLSX_MONEY
        sheet.freeze_panes = f"A{header_row + 1}"
        if headers:
            last = get_column_letter(len(headers))
            sheet.auto_filter.ref = f"A{header_row}:{last}{max(current, header_row)}"
            sheet.print_title_rows = f"{header_row}:{header_row}"
        for i, width in enumerate(widths, 1):
            # + 2 for the filter button and padding; capped so a long note does not make a wall.
            sheet.column_dimensions[get_column_letter(i)].width = max(8, min(60, width + 3))
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
