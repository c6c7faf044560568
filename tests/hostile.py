"""A corpus of hostile files and values, generated (never committed as blobs): what reaches a
regency office by accident or on purpose. Each builder returns ``(file name, bytes)``."""

from __future__ import annotations

import io
import zipfile

_CONTENT_TYPES = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                  b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                  b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                  b'<Default Extension="xml" ContentType="application/xml"/>'
                  b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                  b'spreadsheetml.sheet.main+xml"/>'
                  b'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
                  b'officedocument.spreadsheetml.worksheet+xml"/></Types>')
_ROOT_RELS = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
              b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
              b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
              b'officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
             b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
             b'<sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                  b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                  b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                  b'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
_SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
               b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')


def xlsx(sheet_body: bytes | None = None, *, dimension: str | None = "A1", padding_mb: int = 0) -> bytes:
    """A minimal workbook with one sheet "Data" whose <sheetData> holds ``sheet_body``;
    ``padding_mb`` megabytes of blanks after it (they compress to almost nothing)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", _CONTENT_TYPES)
        book.writestr("_rels/.rels", _ROOT_RELS)
        book.writestr("xl/workbook.xml", _WORKBOOK)
        book.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=padding_mb > 0) as sheet:
            sheet.write(_SHEET_HEAD)
            if dimension:
                sheet.write(f'<dimension ref="{dimension}"/>'.encode())
            sheet.write(b"<sheetData>" + (sheet_body or b""))
            blank = b" " * (1 << 20)
            for _ in range(padding_mb):
                sheet.write(blank)
            sheet.write(b"</sheetData></worksheet>")
    return buffer.getvalue()


def _cell(ref: str, text: str) -> bytes:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def far_corner_xlsx(row: int = 1_048_576, column: str = "XFD", *, honest: bool = True) -> tuple[str, bytes]:
    """A 5 KB workbook whose only content is one cell in the far corner. ``honest=False``:
    its <dimension> claims A1 (a lying dimension), so only the scan of the cells finds it."""
    body = f'<row r="{row}">'.encode() + _cell(f"{column}{row}", "x") + b"</row>"
    return "sudut-jauh.xlsx", xlsx(body, dimension=f"A1:{column}{row}" if honest else "A1")


def wide_xlsx(rows: int = 1000, columns: str = "XFD") -> tuple[str, bytes]:
    """A 1.000-row sheet with 16.384 columns (a cell in column A and one in XFD on each row)."""
    body = b"".join(f'<row r="{r}">'.encode() + _cell(f"A{r}", "NIK") + _cell(f"{columns}{r}", "x") + b"</row>"
                    for r in range(1, rows + 1))
    return "lebar.xlsx", xlsx(body, dimension=f"A1:{columns}{rows}")


def zip_bomb_xlsx(unzipped_mb: int = 1100) -> tuple[str, bytes]:
    """About 1 MB that unzips to more than a gigabyte."""
    return "bom-zip.xlsx", xlsx(b'<row r="1">' + _cell("A1", "NIK") + b"</row>", padding_mb=unzipped_mb)


HEADER = "NIK;Nama;Tgl Lahir;JK;Desa/Kel;Kec.;Pekerjaan;Penghasilan\n"
GOOD_ROW = "3324015708750001;Siti Aminah;17-08-1975;P;Blumah;Plantungan;Petani;1.000.000\n"


def long_cell_csv(chars: int = 200_000) -> tuple[str, bytes]:
    """A good row, then a row with a 200 KB cell, then another good row."""
    text = HEADER + GOOD_ROW + f"3324011708750002;{'A' * chars};17-08-1975;L;Blumah;Plantungan;Petani;1000000\n" \
        + GOOD_ROW.replace("0001;Siti Aminah", "0003;Sri Wahyuni")
    return "sel-panjang.csv", text.encode("utf-8")


def long_line_csv(mb: int = 100) -> tuple[str, bytes]:
    """A CSV whose second line is 100 MB without a single separator or newline."""
    return "baris-100mb.csv", HEADER.encode() + b"B" * (mb << 20) + b"\n"


def utf16_csv(byte_order: str = "le", bom: bool = True) -> tuple[str, bytes]:
    text = HEADER + GOOD_ROW
    data = text.encode(f"utf-16-{byte_order}")
    if bom:
        data = (b"\xff\xfe" if byte_order == "le" else b"\xfe\xff") + data
    return f"utf16-{byte_order}.csv", data


def nul_csv() -> tuple[str, bytes]:
    return "nul.csv", (HEADER + "3324015708750001\x00\x00;Siti Aminah;17-08-1975;P;Blumah;Plantungan;Petani;"
                       "1000000\n").encode("utf-8")


def pdf_as_csv() -> tuple[str, bytes]:
    return "daftar.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"


def junk_xlsx() -> tuple[str, bytes]:
    """A ZIP named .xlsx with no workbook in it: the reader's own error is English."""
    import io
    import zipfile
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("catatan.txt", "bukan buku kerja")
    return "daftar.xlsx", out.getvalue()


def jpeg_as_csv() -> tuple[str, bytes]:
    return "foto.csv", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(range(256)) * 8


def xlsx_as_csv() -> tuple[str, bytes]:
    return "pekerja.csv", xlsx(b'<row r="1">' + _cell("A1", "NIK") + b"</row>")


# Values -----------------------------------------------------------------------------------

NIK = "3324015708750001"
FULLWIDTH_NIK = "".join(chr(0xFF10 + int(d)) if i % 2 else d for i, d in enumerate(NIK))  # 3３2４...
ARABIC_INDIC_NIK = "".join(chr(0x0660 + int(d)) for d in NIK)  # ٣٣٢٤...
EASTERN_ARABIC_NIK = "".join(chr(0x06F0 + int(d)) for d in NIK)  # ۳۳۲۴...
DEVANAGARI_NIK = "".join(chr(0x0966 + int(d)) for d in NIK)

HOSTILE_NAMES = [
    "Budi ![](http://evil.example/t.png) [Verifikasi ulang akun Anda](http://evil.example/login)",
    "Siti <img src=x onerror=alert(1)> <script>alert(2)</script> <b>tebal</b>",
    "Joko :red[PALSU] :material/warning: **tebal** _miring_ `kode` ~~coret~~",
    "Rina $$\\frac{1}{0}$$ $x^2$ \\$ 100",
    "Ani \u202eKDR\u202c \u2066terbalik\u2069 \u202a\u202b\u202d",
    "# Judul\n> kutipan\n- daftar\n1. nomor | tabel | --- |",
    "W" * 5000,
    "Budi &copy; &amp; &quot;x&quot; &lt;b&gt;",
    "---",
]


def wide_row_without_references_xlsx(width: int = 16_384, rows: int = 2_000) -> tuple[str, bytes]:
    """No cell says where it is (no r="..."): one row of ``width`` cells, placed where a block
    of the scan ends, then many one-cell rows. calamine would lay out rows x width cells."""
    wide = b"<row>" + b"<c/>" * (width - 1) + b'<c t="inlineStr"><is><t>x</t></is></c></row>'
    narrow = b'<row><c t="inlineStr"><is><t>NIK</t></is></c></row>'
    lead = narrow * ((1 << 20) // len(narrow) - 1)  # the wide row straddles the first 1 MB block
    return "tanpa-ref.xlsx", xlsx(lead + wide + narrow * rows, dimension=None)


# Cells Excel itself can write ---------------------------------------------------------------

def number_cell(ref: str, value: str) -> bytes:
    """A number cell as typed in the XML: ``1e400`` (infinity to a reader), ``NaN``."""
    return f'<c r="{ref}"><v>{value}</v></c>'.encode()


def text_cell(ref: str, text: str) -> bytes:
    return _cell(ref, text)


def sheet_xlsx(rows: list[list[bytes | str]]) -> bytes:
    """A workbook from rows of cells: text is written as inline strings, bytes as they are."""
    body = b""
    for r, row in enumerate(rows, 1):
        cells = b"".join(c if isinstance(c, bytes) else _cell(f"{chr(65 + i)}{r}", c) for i, c in enumerate(row))
        body += f'<row r="{r}">'.encode() + cells + b"</row>"
    return xlsx(body, dimension=f"A1:{chr(64 + max(len(r) for r in rows))}{len(rows)}")


WORKER_HEADERS = ["NIK", "Nama", "Tgl Lahir", "JK", "Desa/Kel", "Kec.", "Pekerjaan", "Penghasilan"]


def worker_xlsx(*, nik: bytes | str = NIK, name: str = "Siti Aminah", income: bytes | str = "1000000") -> bytes:
    """One worker row (Kendal, as GOOD_ROW) with the NIK, name or income cell given."""
    nik = nik if isinstance(nik, bytes) else _cell("A2", nik)
    income = income if isinstance(income, bytes) else _cell("H2", income)
    return sheet_xlsx([WORKER_HEADERS, [nik, name, "17-08-1975", "P", "Blumah", "Plantungan", "Petani", income]])
