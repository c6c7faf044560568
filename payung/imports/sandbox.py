"""Parse an uploaded file with bounded memory and time: the code that runs in the child process.

``reading.read_table`` (and ``reading.read_image`` for an uploaded image) starts this file as a script (``python -I sandbox.py``) so that a file
built to explode (a cell in the far corner of a sheet, a zip bomb, a 100 MB line) can at worst
end this child, never the Streamlit server or the CLI that asked. The child sets its own
address-space and CPU limits before it parses anything, reads one pickled request on stdin and
writes on stdout the rows, a chunk at a time as they are read (``RowWriter``), then the answer.

Only the standard library and python-calamine (Pillow for an image) are imported here (the
child starts fast, and ``-I`` keeps the project's modules out of it). Every message is for the
user, in Indonesian.
"""

from __future__ import annotations

import csv
import io
import pickle
import re
import struct
import sys
import zipfile
from posixpath import join, normpath

# Keep in step with payung.base.config.Limits (this file cannot import it).
DEFAULT_LIMITS = {"max_rows": 1_048_576, "max_columns": 200, "max_cells": 20_000_000, "max_unzipped_mb": 1024,
                  "max_cell_chars": 10_000, "reader_memory_mb": 1536, "reader_seconds": 300}


class Refused(Exception):
    """The file cannot be read; the text says why and what to do (Indonesian)."""


def _n(number: int) -> str:
    return f"{number:,}".replace(",", ".")


# What a file really is ---------------------------------------------------------------------

_MAGIC = (
    (b"%PDF", "dokumen PDF"),
    (b"\xff\xd8\xff", "gambar JPEG"),
    (b"\x89PNG\r\n\x1a\n", "gambar PNG"),
    (b"GIF8", "gambar GIF"),
    (b"PK\x03\x04", "arsip ZIP (misalnya berkas Excel .xlsx atau Word .docx)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "berkas Office lama (.xls atau .doc)"),
    (b"Rar!", "arsip RAR"),
    (b"7z\xbc\xaf\x27\x1c", "arsip 7-Zip"),
    (b"\x1f\x8b", "arsip GZIP"),
    (b"MZ", "program Windows (.exe)"),
    (b"\x7fELF", "program Linux"),
)


def sniff(data: bytes) -> str | None:
    """What a binary file is (``"dokumen PDF"``...), or None when it may be text."""
    for magic, what in _MAGIC:
        if data.startswith(magic):
            return what
    return None


# CSV ---------------------------------------------------------------------------------------

def _utf16_without_bom(head: bytes) -> str | None:
    """``utf-16-le``/``-be`` when every other byte is NUL (ASCII text saved as UTF-16)."""
    if len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _decode_by_line(data: bytes) -> tuple[str, str]:
    """A file that is not UTF-8 as a whole: each line is read as UTF-8 when it is, else as
    Windows-1252 (else Latin-1, whose odd characters the checks then refuse). A UTF-8 file with
    one line pasted from a Windows program keeps its other lines right ("Nur’aini", not
    "Nurâ€™aini"). The encoding says what was found: ``cp1252`` when no line needed UTF-8,
    ``utf-8+cp1252 (baris 3, 7)`` for a mix."""
    lines = data.split(b"\n")
    utf8 = False
    legacy: list[int] = []
    for n, line in enumerate(lines):
        if line.isascii():
            continue
        try:
            lines[n] = line.decode("utf-8")
            utf8 = True
            continue
        except UnicodeDecodeError:
            pass
        legacy.append(n + 1)
        try:
            lines[n] = line.decode("cp1252")
        except UnicodeDecodeError:
            lines[n] = line.decode("latin-1")
    text = "\n".join(line if isinstance(line, str) else line.decode("ascii") for line in lines)
    if not utf8:
        return text, "cp1252"
    shown = ", ".join(map(str, legacy[:10])) + (", ..." if len(legacy) > 10 else "")
    return text, f"utf-8+cp1252 (baris {shown})"


def decode(data: bytes) -> tuple[str, str]:
    """The text of a CSV and its encoding: UTF-8 (with or without BOM), UTF-16 (BOM, LE or
    BE, or without BOM), else line by line (``_decode_by_line``). NUL bytes and binary files
    are refused."""
    what = sniff(data)
    if what:
        hint = " Simpan sebagai .xlsx dengan akhiran nama .xlsx." if what.startswith("arsip ZIP") else ""
        raise Refused(f"berkas ini sebenarnya {what}, bukan CSV.{hint} Unggah daftar dalam .xlsx atau .csv.")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    else:
        encoding = _utf16_without_bom(data[:4096])
    if encoding:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            raise Refused("berkas UTF-16 ini rusak (terpotong atau bercampur). Simpan ulang dari Excel sebagai "
                          "\"CSV UTF-8\".") from None
    else:
        bom = data.startswith(b"\xef\xbb\xbf")
        try:
            text, encoding = data.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError:
            text, encoding = _decode_by_line(data[3:] if bom else data)
            if bom:
                encoding = "utf-8-sig+" + encoding.removeprefix("utf-8+")
    if "\x00" in text:
        raise Refused("berkas berisi byte NUL (data biner), jadi bukan berkas teks CSV. Buka di Excel lalu simpan "
                      "ulang sebagai \"CSV UTF-8\" atau .xlsx.")
    head = text[:65536]
    controls = sum(head.count(chr(c)) for c in range(32) if c not in (9, 10, 13))
    if controls > max(8, len(head) // 100):
        raise Refused("berkas berisi banyak karakter kendali (data biner), jadi bukan berkas teks CSV. Unggah "
                      "daftar dalam .xlsx atau .csv.")
    return text, encoding


def _cell_too_long(limit: int) -> str:
    return (f"Baris ini memuat sel yang lebih panjang dari {_n(limit)} karakter (mungkin kolom yang tertempel "
            "tanpa pemisah atau isi yang rusak); baris tidak dibaca. Perbaiki sel itu lalu impor lagi.")


def _unclosed_quote(first: int, last: int) -> Refused:
    return Refused(
        f"tanda kutip (\") di baris {_n(first)} tidak ditutup, sehingga baris {_n(first)} sampai {_n(last)} terbaca "
        "sebagai satu sel dan baris-baris itu akan hilang. Hapus tanda kutip yang tersasar itu (atau tutup kutipnya) "
        "lalu unggah lagi.")


def _swallows_rows(row: list[str], delimiter: str, columns: int) -> bool:
    """A cell that runs over line breaks and holds lines looking like rows of the file (as many
    separators as a row has, nearly): a quote left open, not an address written on two lines."""
    wanted = max(1, (columns - 1) // 2)
    return any("\n" in cell and any(line.count(delimiter) >= wanted for line in cell.splitlines()[1:])
               for cell in row)


def read_csv(data: bytes, limits: dict, rows: list | RowWriter | None = None) -> dict:
    """The rows of a CSV, into ``rows`` (a list, or a ``RowWriter`` that sends them on in
    chunks). Row numbers are the file's line numbers: ``line_shifts`` holds ``(row index,
    line)`` wherever a row does not start on line ``index + 1`` (after a cell written over
    several lines). A quote left open that swallows the rows after it is refused naming the
    lines, never read as one long cell."""
    text, encoding = decode(data)
    first_line = text[:20000].split("\n", 1)[0]
    counts = {d: first_line.count(d) for d in (";", ",", "\t")}
    delimiter = max(counts, key=lambda d: (counts[d], d == ","))
    columns = counts[delimiter] + 1
    limit = limits["max_cell_chars"]
    csv.field_size_limit(limit)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    del text
    rows = [] if rows is None else rows
    row_errors: dict[int, str] = {}
    shifts: list[tuple[int, int]] = []
    base_index, base_line = 0, 1
    max_rows, max_columns = limits["max_rows"], limits["max_columns"]
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            if reader.line_num > start:  # the reader went on over line breaks: a quote left open
                raise _unclosed_quote(start, reader.line_num) from None
            row_errors[len(rows)] = (_cell_too_long(limit) if "field limit" in str(exc)
                                     else f"Baris ini tidak dapat dibaca sebagai CSV ({exc}).")
            row = []
        else:
            if reader.line_num > start and _swallows_rows(row, delimiter, columns):
                raise _unclosed_quote(start, reader.line_num)
            if len(row) > max_columns:
                if any(c.strip() for c in row[max_columns:]):
                    row_errors[len(rows)] = (f"Baris ini memuat lebih dari {_n(max_columns)} kolom; "
                                             "periksa pemisah kolom (; atau ,).")
                row = row[:max_columns]
        if start != base_line + len(rows) - base_index:
            base_index, base_line = len(rows), start
            shifts.append((base_index, base_line))
        rows.append(row)
        if len(rows) > max_rows:
            raise Refused(f"berkas memuat lebih dari {_n(max_rows)} baris. Bagi menjadi beberapa berkas.")
    return {"rows": rows, "row_errors": row_errors, "encoding": encoding, "delimiter": delimiter,
            "line_shifts": shifts}


# XLSX: sizes checked before calamine sees the file -----------------------------------------

_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*?\bref=\"([A-Z]{1,3})?([0-9]*):?([A-Z]{1,3})?([0-9]*)\"")
# Literal-led patterns (fast): a cell's reference has letters, a row's only digits.
_CELL_COL = re.compile(rb' r="([A-Z]{1,7})[0-9]')
_ROW_REF = re.compile(rb' r="([0-9]{1,10})"')
_ROW_START = re.compile(rb"<(?:\w+:)?row[\s>]")


def _cells(xml: bytes) -> int:
    cells = xml.count(b"<c ") + xml.count(b"<c>") + xml.count(b"<c/>")
    if not cells and b":c" in xml:  # elements with a namespace prefix: <x:c r="A1">
        cells = xml.count(b":c ") + xml.count(b":c>") + xml.count(b":c/>")
    return cells


def _row_tags(xml: bytes) -> int:
    rows = xml.count(b"<row")
    return rows if rows or b":row" not in xml else xml.count(b":row")


_CHUNK = 1 << 20


def column_number(letters: bytes | str) -> int:
    """``A`` -> 1, ``XFD`` -> 16384."""
    number = 0
    for char in letters if isinstance(letters, str) else letters.decode():
        number = number * 26 + ord(char) - 64
    return number


def _sheet_paths(book: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> path of its XML inside the zip, from workbook.xml and its relations."""
    import xml.etree.ElementTree as ET
    try:
        workbook = ET.fromstring(book.read("xl/workbook.xml"))
        rels = ET.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ET.ParseError):
        return {}
    targets = {r.get("Id"): r.get("Target", "") for r in rels if r.tag.endswith("Relationship")}
    paths = {}
    for element in workbook.iter():
        if element.tag.endswith("}sheet") or element.tag == "sheet":
            rid = next((v for k, v in element.attrib.items() if k.endswith("}id")), None)
            target = targets.get(rid, "")
            path = target.lstrip("/") if target.startswith("/") else normpath(join("xl", target))
            paths[element.get("name", "")] = path
    return paths


def check_xlsx(data: bytes, sheet: str | None, limits: dict) -> None:
    """Refuse a workbook whose parts unzip to too much, or whose chosen sheet is (or says it
    is) larger than the limits: before any parser sizes its buffers from it."""
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return  # not a zip: calamine says so in its own words
    max_bytes = limits["max_unzipped_mb"] << 20
    infos = book.infolist()
    total = sum(info.file_size for info in infos)
    if total > max_bytes or len(infos) > 10_000:
        raise Refused(f"isi berkas Excel ini jika dibuka berukuran {_n(total >> 20)} MB (batas "
                      f"{_n(max_bytes >> 20)} MB): bukan daftar yang wajar (mungkin \"zip bomb\").")
    for name in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
        if name in book.NameToInfo and book.NameToInfo[name].file_size > 64 << 20:
            raise Refused("bagian workbook.xml berkas Excel ini terlalu besar.")
    paths = _sheet_paths(book)
    if not paths:
        return
    chosen = sheet if sheet in paths else next(iter(paths))
    path = paths[chosen]
    if path not in book.NameToInfo:
        return
    max_rows, max_columns, max_cells = limits["max_rows"], limits["max_columns"], limits["max_cells"]

    def refuse(rows: int, columns: int, declared: bool) -> None:
        said = "menyatakan dirinya berukuran" if declared else "memuat sel sampai"
        raise Refused(
            f"lembar \"{chosen}\" {said} {_n(rows)} baris x {_n(columns)} kolom; batasnya {_n(max_rows)} baris, "
            f"{_n(max_columns)} kolom dan {_n(max_cells)} sel. Hapus baris/kolom kosong di luar tabel (atau salin "
            "tabelnya ke berkas baru) lalu unggah lagi.")

    def over(rows: int, columns: int) -> bool:
        return rows > max_rows or columns > max_columns or rows * columns > max_cells

    max_row = rows_seen = widest = current = 0
    counting = False
    widest_letters = (0, b"")
    tail = b""
    read = 0
    with book.open(path) as stream:
        first = True
        while True:
            chunk = stream.read(_CHUNK)
            if not chunk:
                break
            read += len(chunk)
            if read > max_bytes:
                raise Refused("lembar kerja ini jika dibuka terlalu besar (mungkin \"zip bomb\").")
            block = tail + chunk
            if first:
                first = False
                found = _DIMENSION.search(block[:65536])
                if found:
                    end_col, end_row = found[3] or found[1], found[4] or found[2]
                    if end_col and end_row and over(int(end_row), column_number(end_col)):
                        refuse(int(end_row), column_number(end_col), True)
            # Cut before the last tag so that no reference is split between two blocks.
            cut = block.rfind(b"<")
            body, tail = (block[:cut], block[cut:]) if cut > 0 else (block, b"")
            if len(tail) > 65536:
                body, tail = block, b""
            rows = _ROW_REF.findall(body)
            if rows:
                max_row = max(max_row, max(map(int, rows)))
            rows_seen += _row_tags(body)
            refs = _CELL_COL.findall(body)
            if refs:
                widest_letters = max(widest_letters, max((len(c), c) for c in set(refs)))
            if counting or _cells(body) > len(refs):
                # Cells without a reference are placed one after another in their row: count
                # the cells of each row from here on, carrying a row across blocks.
                counting = True
                parts = _ROW_START.split(body)
                current += _cells(parts[0])
                for part in parts[1:]:
                    widest = max(widest, current)
                    current = _cells(part)
                widest = max(widest, current)
            columns = max(widest, column_number(widest_letters[1]) if widest_letters[0] else 0)
            if over(max(max_row, rows_seen), max(columns, 1)):
                refuse(max(max_row, rows_seen), columns, False)


def read_xlsx(data: bytes, sheet: str | None, limits: dict, out: RowWriter | None = None) -> dict:
    check_xlsx(data, sheet, limits)
    from python_calamine import CalamineWorkbook
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception:  # calamine raises its own error types for broken files
        # The reader's own words are English ("Cannot detect file format"): not the person's to read.
        raise Refused("berkas Excel rusak atau bukan berkas Excel. Simpan ulang sebagai .xlsx lalu coba lagi.") from None
    names = list(book.sheet_names)
    if not names:
        raise Refused("berkas Excel tidak memuat lembar kerja.")
    chosen = sheet or names[0]
    if chosen not in names:
        raise Refused(f"lembar \"{chosen}\" tidak ada. Lembar yang ada: {', '.join(names)}.")
    try:
        rows = book.get_sheet_by_name(chosen).to_python(skip_empty_area=False)
    except MemoryError:
        raise
    except (Exception, BaseException) as exc:  # calamine panics (pyo3 PanicException is a BaseException)
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        raise Refused(f"lembar \"{chosen}\" tidak dapat dibaca: isinya rusak. Simpan ulang sebagai .xlsx lalu coba "
                      "lagi.") from None
    limit, row_errors = limits["max_cell_chars"], {}
    max_columns = limits["max_columns"]
    for n, row in enumerate(rows):
        if len(row) > max_columns:
            rows[n] = row = row[:max_columns]
        for i, cell in enumerate(row):
            if type(cell) is str and len(cell) > limit:
                row[i] = ""
                row_errors[n] = _cell_too_long(limit)
    if out is not None:
        out.extend(rows)
        rows = out
    return {"rows": rows, "row_errors": row_errors, "sheet": chosen, "sheet_names": names}


# Images --------------------------------------------------------------------------------------

def read_image(data: bytes, request: dict) -> dict:
    """An uploaded PNG or JPEG re-encoded as a PNG of at most ``size`` pixels a side (nothing of
    the file but its pixels is kept). Every failure of the decoder (a decompression bomb, a
    truncated or crafted file) is a refusal in Indonesian; a file built to decode forever runs
    into this process's CPU limit."""
    from PIL import Image
    formats, size, max_pixels = request["formats"], request["size"], request["max_pixels"]
    Image.MAX_IMAGE_PIXELS = max_pixels  # PIL's own bomb check, besides ours below
    names = " atau ".join("JPG" if f == "JPEG" else f for f in formats)
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in formats:
                raise Refused(f"gambar harus berkas {names}.")
            if probe.width * probe.height > max_pixels:
                raise Refused(f"gambar terlalu besar ({_n(probe.width)} x {_n(probe.height)} piksel; paling banyak "
                              f"{_n(max_pixels)} piksel).")
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            if image.format == "JPEG":
                image.draft("RGB", (size, size))  # decoded at a reduced scale where JPEG allows it
            image = image.convert("RGBA")
            image.thumbnail((size, size))
            out = io.BytesIO()
            image.save(out, "PNG")
    except Refused:
        raise
    except Image.DecompressionBombError:
        raise Refused(f"gambar terlalu besar (lebih dari {_n(max_pixels)} piksel).") from None
    except MemoryError:
        raise
    except Exception:  # noqa: BLE001 - whatever the decoder raises on a broken or crafted file
        raise Refused(f"berkas ini bukan gambar {names} yang dapat dibaca.") from None
    return {"png": out.getvalue()}


# The child process -------------------------------------------------------------------------

def parse(request: dict, out: RowWriter | None = None) -> dict:
    """Read one file (in whatever process calls this): ``{"ok": True, ...}`` or ``{"ok":
    False, "message": ...}``. The rows are in the answer, or sent to ``out`` as they are read."""
    limits = {**DEFAULT_LIMITS, **request.get("limits", {})}
    try:
        if request["format"] == "xlsx":
            answer = read_xlsx(request["data"], request.get("sheet"), limits, out)
        elif request["format"] == "image":
            answer = read_image(request["data"], request)
        else:
            answer = read_csv(request["data"], limits, out)
    except Refused as exc:
        return {"ok": False, "message": str(exc)}
    except MemoryError:
        return {"ok": False, "message": f"membacanya butuh memori lebih dari {_n(limits['reader_memory_mb'])} MB."}
    except RecursionError:
        return {"ok": False, "message": "susunan berkas terlalu dalam."}
    return {"ok": True, **answer}


def _limit_self(limits: dict) -> None:
    import resource
    memory = limits["reader_memory_mb"] << 20
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    seconds = limits["reader_seconds"]
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def peak_mb() -> float:
    """This process's own peak resident memory (VmHWM: unlike ru_maxrss it does not count
    the parent's memory at fork time). Also the benchmark's measure of the app's processes."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def encode(answer: dict | list) -> bytes:
    """An answer or a chunk of rows as bytes: ``marshal`` (ten times faster than pickle for
    lists of strings), or pickle when cells hold dates, which marshal cannot carry."""
    import marshal
    try:
        return b"M" + marshal.dumps(answer)
    except ValueError:
        return b"P" + pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)


def decode_answer(data: bytes) -> dict | list:
    import gc
    import marshal
    # Millions of new lists and strings would trigger collection after collection: none of
    # them is garbage yet, so the collector waits until they are all there.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return marshal.loads(data[1:]) if data[:1] == b"M" else pickle.loads(data[1:])
    finally:
        if enabled:
            gc.enable()


#: Rows in each chunk the child sends (a few MB): what the reading side decodes at a time.
CHUNK_ROWS = 20_000
#: The header of each record the child writes: the payload's length in bytes and how many
#: rows it holds (0: the answer itself, always the last record).
RECORD = struct.Struct("<QI")


def write_record(stream, payload: bytes, rows: int = 0) -> None:
    stream.write(RECORD.pack(len(payload), rows))
    stream.write(payload)


class RowWriter:
    """Rows sent on as they are read, ``CHUNK_ROWS`` at a time, each chunk one record: neither
    this child nor the process reading them back (``reading.SpooledRows``) holds a big file's
    rows all at once."""

    def __init__(self, stream, size: int = CHUNK_ROWS):
        self.stream, self.size, self.count, self.chunk = stream, size, 0, []

    def append(self, row: list) -> None:
        self.chunk.append(row)
        self.count += 1
        if len(self.chunk) >= self.size:
            self.flush()

    def extend(self, rows: list) -> None:
        for row in rows:
            self.append(row)

    def flush(self) -> None:
        if self.chunk:
            write_record(self.stream, encode(self.chunk), len(self.chunk))
            self.chunk = []

    def __len__(self) -> int:
        return self.count


def main() -> None:
    """One pickled request on stdin; on stdout the rows' records, then the answer's."""
    import gc
    gc.disable()  # a short-lived process under a memory limit: nothing to collect worth the time
    request = pickle.load(sys.stdin.buffer)
    limits = {**DEFAULT_LIMITS, **request.get("limits", {})}
    _limit_self(limits)
    out = sys.stdout.buffer
    try:
        rows = RowWriter(out)
        answer = parse(request, rows)
        del request
        if answer["ok"]:
            rows.flush()
        answer.pop("rows", None)
        answer["peak_rss_mb"] = peak_mb()
        final = encode(answer)
    except MemoryError:
        final = encode({"ok": False, "message": f"membacanya butuh memori lebih dari {_n(limits['reader_memory_mb'])} MB."})
    write_record(out, final)
    out.flush()


if __name__ == "__main__":
    main()
