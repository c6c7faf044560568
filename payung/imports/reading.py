"""Read a worksheet from .xlsx (any sheet) or .csv (comma or semicolon, UTF-8 or Windows-1252)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from ..errors import PayungError


class ImportFileError(PayungError):
    """The file cannot be read at all (nothing can be imported from it)."""


@dataclass
class Sheet:
    headers: list[str]
    rows: list[list]
    sheet: str = ""
    sheet_names: list[str] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""
    #: 1-based row number of the header row in the file (data rows follow it).
    header_row: int = 1


def _decode(data: bytes) -> tuple[str, str]:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def _read_csv(data: bytes) -> Sheet:
    text, encoding = _decode(data)
    sample = text[:20000]
    first_line = sample.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return Sheet(headers=[], rows=rows, encoding=encoding, delimiter=delimiter)


def _read_xlsx(data: bytes, sheet: str | None) -> Sheet:
    from python_calamine import CalamineWorkbook
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own error types for broken files
        raise ImportFileError(f"Berkas Excel tidak dapat dibaca ({exc}). Simpan ulang sebagai .xlsx lalu coba lagi.") from None
    names = list(book.sheet_names)
    if not names:
        raise ImportFileError("Berkas Excel tidak memuat lembar kerja.")
    chosen = sheet or names[0]
    if chosen not in names:
        raise ImportFileError(f"Lembar \"{chosen}\" tidak ada. Lembar yang ada: {', '.join(names)}.")
    rows = book.get_sheet_by_name(chosen).to_python(skip_empty_area=False)
    return Sheet(headers=[], rows=rows, sheet=chosen, sheet_names=names)


def read_table(data: bytes, filename: str, *, sheet: str | None = None) -> Sheet:
    """The header row (first non-empty row) and the data rows of a file."""
    name = filename.lower()
    if name.endswith(".xlsx") or name.endswith(".xlsm"):
        table = _read_xlsx(data, sheet)
    elif name.endswith(".csv") or name.endswith(".txt"):
        table = _read_csv(data)
    elif name.endswith(".xls"):
        raise ImportFileError("Format .xls lama belum didukung: buka di Excel lalu simpan sebagai .xlsx.")
    else:
        raise ImportFileError("Jenis berkas tidak dikenal: gunakan .xlsx atau .csv.")
    rows = table.rows
    start = next((i for i, row in enumerate(rows) if any(str(c).strip() for c in row if c is not None)), None)
    if start is None:
        raise ImportFileError("Berkas kosong: tidak ada baris judul kolom.")
    table.headers = [str(c).strip() if c is not None else "" for c in rows[start]]
    table.rows = rows[start + 1:]
    table.header_row = start + 1
    return table
