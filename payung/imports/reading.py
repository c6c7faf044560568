"""Read a worksheet from .xlsx (any sheet) or .csv (comma, semicolon or tab; UTF-8, UTF-16 or
Windows-1252), safely: the file is parsed in a child process with a memory and a time limit
(``sandbox.py``), so a file built to explode ends that child, never the server or the CLI. The
child writes the rows in chunks to a temporary file, read back a chunk at a time
(``chunks.SpooledRows``): a million rows are never a million lists in the app's process.

The Impor data page and ``python -m payung import`` both read through ``read_table``.
"""

from __future__ import annotations

import bisect
import dataclasses
import pickle
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from payung.base import formats
from payung.base.config import Limits
from payung.base.errors import PayungError
from payung.imports import sandbox
from payung.imports.chunks import SpooledRows

SANDBOX = Path(sandbox.__file__).resolve()
#: Seconds the parent waits beyond the child's own CPU limit before it kills the child.
_GRACE_SECONDS = 10
_READER_LIMITS = ("max_rows", "max_columns", "max_cells", "max_unzipped_mb", "max_cell_chars", "reader_memory_mb",
                  "reader_seconds")


class ImportFileError(PayungError):
    """The file cannot be read at all (nothing can be imported from it)."""


@dataclass
class Sheet:
    headers: list[str]
    #: A list, or (read from a file) ``SpooledRows``: read a chunk at a time, never all at once.
    rows: Sequence[list]
    sheet: str = ""
    sheet_names: list[str] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""
    #: 1-based row number of the header row in the file (data rows follow it).
    header_row: int = 1
    #: index in ``rows`` -> why that row could not be read (a cell too long...): rejected as is.
    row_errors: dict[int, str] = field(default_factory=dict)
    #: Peak memory of the process that parsed the file (MB), when it ran in a child.
    reader_peak_mb: float = 0.0
    #: ``(index in rows, file line)`` where a data row does not start on the line after the one
    #: before it (a CSV cell written over several lines): see ``line``.
    line_shifts: list[tuple[int, int]] = field(default_factory=list)

    def close(self) -> None:
        """Let go of the reader's temporary file (``SpooledRows``): a big file's rows are
        hundreds of MB on disk. Call it when the sheet is done with (applied, or replaced by
        another file); the rows can no longer be read. Closing twice is harmless."""
        close = getattr(self.rows, "close", None)
        if close is not None:
            close()

    def line(self, index: int) -> int:
        """The row number people see for ``rows[index]``: its line in the file (its row in the
        sheet), counted from 1 like Excel and text editors do."""
        if not self.line_shifts:
            return self.header_row + 1 + index
        at = bisect.bisect_right(self.line_shifts, (index, float("inf"))) - 1
        if at < 0:
            return self.header_row + 1 + index
        base_index, base_line = self.line_shifts[at]
        return base_line + index - base_index


def unreadable(reason: str) -> ImportFileError:
    return ImportFileError(f"Berkas tidak dapat dibaca: {reason}")


def _format(filename: str) -> str:
    name = filename.lower()
    if name.endswith((".xlsx", ".xlsm")):
        return "xlsx"
    if name.endswith((".csv", ".txt")):
        return "csv"
    if name.endswith(".xls"):
        raise ImportFileError("Format .xls lama belum didukung: buka di Excel lalu simpan sebagai .xlsx.")
    raise ImportFileError("Jenis berkas tidak dikenal: gunakan .xlsx atau .csv.")


#: What to do when a sheet could not be read in its child process.
SHEET_ADVICE = ("Mungkin berkasnya rusak atau berisi lembar yang sangat besar; simpan ulang tabelnya saja ke berkas "
                "baru lalu coba lagi.")
IMAGE_ADVICE = ("Mungkin gambarnya rusak atau dibuat untuk membebani server; buka lalu simpan ulang sebagai PNG biasa "
                "dan unggah lagi.")


def _run_child(request: dict, limits: Limits, advice: str = SHEET_ADVICE) -> tuple[dict, SpooledRows]:
    """Parse in ``python -I sandbox.py``: one pickled request in; the answer, and the rows the
    child wrote (in chunks) to a temporary file, read back a chunk at a time (``SpooledRows``)."""
    out = tempfile.TemporaryFile(prefix="payung-read-")
    try:
        child = subprocess.Popen([sys.executable, "-I", str(SANDBOX)], stdin=subprocess.PIPE, stdout=out,
                                 stderr=subprocess.PIPE)
    except OSError as exc:
        out.close()
        raise unreadable(f"proses pembaca tidak dapat dimulai ({exc.strerror}).") from None
    payload = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
    try:
        _, err = child.communicate(payload, timeout=limits.reader_seconds + _GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        out.close()
        raise unreadable(f"membacanya lebih lama dari {limits.reader_seconds} detik. {advice}") from None
    if child.returncode == 0:
        try:
            rows, answer = SpooledRows.read(out)
            return answer, rows
        except Exception:  # a truncated answer: the child died while writing
            pass
    out.close()
    if child.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        reason = f"membacanya lebih lama dari {limits.reader_seconds} detik"
    else:
        # A Rust allocation failure aborts (SIGABRT); Python says MemoryError: both are memory.
        reason = f"membacanya butuh memori lebih dari {formats.count(limits.reader_memory_mb)} MB"
    tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] if err else []
    sys.stderr.write(f"payung: pembaca berkas berhenti (kode {child.returncode}): {' '.join(tail)}\n")
    raise unreadable(f"{reason}. {advice}")


def read_table(data: bytes, filename: str, *, sheet: str | None = None, limits: Limits | None = None,
               in_process: bool = False) -> Sheet:
    """The header row (first non-empty row) and the data rows of a file.

    ``in_process`` parses here instead of in a child (for tests of the parsing itself); the
    size limits are checked either way.
    """
    limits = limits or Limits()
    kind = _format(filename)
    if len(data) > limits.max_upload_mb << 20:
        size = f"{len(data) / (1 << 20):.1f}".replace(".", ",")
        raise unreadable(f"ukurannya {size} MB, lebih dari batas {limits.max_upload_mb} MB. Bagi menjadi beberapa "
                         "berkas.")
    request = {"format": kind, "data": data, "sheet": sheet,
               "limits": {k: getattr(limits, k) for k in _READER_LIMITS}}
    answer, rows = (sandbox.parse(request), None) if in_process else _run_child(request, limits)
    try:
        return _sheet(answer, rows)
    except BaseException:
        if isinstance(rows, SpooledRows):
            rows.close()  # refused: the reader's temporary file is not kept until collected
        raise


def _sheet(answer: dict, rows: SpooledRows | None) -> Sheet:
    """The sheet of a reader's answer (its rows in ``rows`` when it ran in a child)."""
    if not answer["ok"]:
        raise unreadable(answer["message"])
    if rows is None:
        rows = answer["rows"]
    table = Sheet(headers=[], rows=rows, sheet=answer.get("sheet", ""), sheet_names=answer.get("sheet_names", []),
                  encoding=answer.get("encoding", ""), delimiter=answer.get("delimiter", ""),
                  reader_peak_mb=answer.get("peak_rss_mb", 0.0))
    row_errors = answer.get("row_errors", {})
    start = next((i for i, row in enumerate(rows)
                  if i not in row_errors and any(str(c).strip() for c in row if c is not None)), None)
    if start is None:
        raise ImportFileError("Berkas kosong: tidak ada baris judul kolom.")
    if any(i < start for i in row_errors):
        raise unreadable(f"baris judul kolom: {row_errors[min(row_errors)]}")
    table.headers = [str(c).strip() if c is not None else "" for c in rows[start]]
    table.rows = rows.from_row(start + 1) if isinstance(rows, SpooledRows) else rows[start + 1:]
    # The file's lines (raw index -> line): the header's, and those of the data rows that moved.
    shifts = [tuple(s) for s in answer.get("line_shifts", ())]
    raw = Sheet([], [], line_shifts=shifts, header_row=0)
    table.header_row = raw.line(start) if shifts else start + 1
    table.line_shifts = [(i - start - 1, line) for i, line in shifts if i > start]
    if shifts and (not table.line_shifts or table.line_shifts[0][0] != 0):
        table.line_shifts.insert(0, (0, raw.line(start + 1)))
    table.row_errors = {i - start - 1: message for i, message in row_errors.items() if i > start}
    return table


def read_image(data: bytes, *, size: int, max_pixels: int, formats: tuple[str, ...] = ("PNG", "JPEG"),
               limits: Limits | None = None) -> bytes:
    """An uploaded image decoded in the same bounded child process as uploads (``[limits]``
    ``image_memory_mb`` and ``image_seconds``) and re-encoded as a PNG of at most ``size``
    pixels a side. A progressive JPEG built to decode for a quarter of an hour, a decompression
    bomb or a broken file is ``ImportFileError`` with an Indonesian reason; the server's own
    process never decodes an uploaded image."""
    limits = limits or Limits()
    bounded = dataclasses.replace(limits, reader_memory_mb=limits.image_memory_mb, reader_seconds=limits.image_seconds)
    request = {"format": "image", "data": data, "size": size, "max_pixels": max_pixels, "formats": tuple(formats),
               "limits": {k: getattr(bounded, k) for k in _READER_LIMITS}}
    answer, rows = _run_child(request, bounded, IMAGE_ADVICE)
    rows.close()  # an image's answer carries the PNG; no rows were written
    if not answer["ok"]:
        raise unreadable(answer["message"])
    return answer["png"]
