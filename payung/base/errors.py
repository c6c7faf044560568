"""Errors and problems: every message here is shown to the user, so it is in Indonesian."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: which field (or None for the whole form) and why.

    ``rule`` names the check that failed, so tests and the UI can tell rules apart.
    """

    field: str | None
    message: str
    rule: str = ""

    def __str__(self) -> str:
        return self.message


class PayungError(Exception):
    """Base of every error Payung raises on purpose; its text is for the user."""


class ConfigError(PayungError):
    """``config.toml`` is missing, unreadable or inconsistent."""


class ValidationError(PayungError):
    """An input was refused. ``problems`` lists every reason, not only the first."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(None, problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("; ".join(p.message for p in self.problems))

    def for_field(self, name: str | None) -> list[str]:
        return [p.message for p in self.problems if p.field == name]


class NotFound(PayungError):
    """A record the caller asked for does not exist (or is not visible to them)."""


class DatabaseError(PayungError):
    """The database engine failed (SQLite or PostgreSQL): ``db`` raises this, or one of the
    kinds below, for whatever the engine raised, so that no caller needs to know the engine."""


class DatabaseBusy(ValidationError, DatabaseError):
    """The database stayed locked by other writers longer than Payung waits (``busy_timeout_ms``,
    on either engine): nothing was written, and trying again a moment later works. A refusal
    like any other (every form that shows its refusals shows this one)."""

    MESSAGE = "Basis data sedang sibuk melayani pengguna lain, jadi belum ada yang tersimpan. Coba lagi sebentar lagi."

    def __init__(self, message: str | None = None):
        ValidationError.__init__(self, Problem(None, message or self.MESSAGE, "database_busy"))


class WriteConflict(DatabaseBusy):
    """Two transactions could not both commit (PostgreSQL's serialization failure or deadlock):
    the loser was rolled back, nothing of it was written, and it may simply be tried again; to
    the user, the same refusal as a busy database."""


# Database constraints, in the user's words ----------------------------------------------------

class ConstraintError(ValidationError, DatabaseError):
    """A write the database refused (UNIQUE, CHECK, FOREIGN KEY, NOT NULL, a trigger): the
    transaction (or the savepoint of a nested one) was rolled back, nothing of it was written,
    and ``problems`` says what to do. ``db`` raises it for either engine's integrity error
    (``db.errors``, the driver's kept as ``__cause__``); services catch this, never the
    driver's own error."""


class NumberTooLarge(ValidationError, OverflowError):
    """A number beyond the database's 64-bit integers reached a write (a bound check was missed)."""


_UNIQUE = {
    ("workers", "nik"): ("nik", "NIK ini sudah terdaftar untuk pekerja lain (mungkin baru saja, dari sesi lain). Satu "
                                "NIK hanya untuk satu pekerja: cari pekerja itu di halaman Pekerja dan perbarui datanya."),
    ("sponsors", "nip"): ("nip", "NIP ini sudah terdaftar untuk penyandang dana lain. Cari penyandang dana itu dan "
                                 "perbarui datanya."),
    ("contribution_lines", "worker_id"): ("start_month", "Pekerja ini sudah ditanggung untuk sebagian bulan ini (satu "
                                                         "iuran per pekerja per bulan). Muat ulang halaman dan periksa "
                                                         "kembali."),
    ("users", "username"): ("username", "Nama pengguna ini sudah dipakai; pilih nama lain."),
    ("import_templates", "kind"): ("template", "Nama templat ini sudah dipakai; pilih nama lain."),
    ("schemes", "code"): (None, "Kode skema ini sudah terdaftar."),
    ("payment_allocations", "payment_id"): (None, "Baris iuran ini sudah dicatat untuk pembayaran yang sama."),
}
_CHECK = (
    ("regency_code", "village_code", "Data yang dirujuk tidak cocok: desa/kelurahan pekerja tidak berada di "
                                     "kabupaten/kota yang tercatat untuknya. Muat ulang halaman lalu coba lagi."),
    ("paid_amount", "amount", "Pembayaran melebihi iuran yang belum dibayar (mungkin tagihan ini baru saja dibayar "
                              "dari sesi lain). Muat ulang tagihan, lalu bayar paling banyak sisa tagihannya."),
    ("length(nik)", "nik", "NIK harus 16 digit angka."),
    ("gender", "gender", "Jenis kelamin harus L (laki-laki) atau P (perempuan)."),
    ("declared_income", "declared_income", "Penghasilan yang dilaporkan harus lebih dari Rp0."),
    ("benefit_amount", "benefit_amount", "Manfaat dibayar harus Rp0 atau lebih."),
    ("months", "months", "Lama kepesertaan harus paling sedikit 1 bulan."),
    ("monthly_amount", "amount", "Iuran bulanan tidak boleh kurang dari Rp0."),
    ("role", "role", "Peran pengguna tidak dikenal."),
    ("program", "program", "Program harus JKK atau JKM."),
    ("level", None, "Tingkat wilayah tidak dikenal."),
    ("jkk", "amount", "Iuran tidak boleh kurang dari Rp0."),
    ("amount", "amount", "Jumlah harus lebih dari Rp0."),
)
_NOT_NULL_FIELDS = {"name": "Nama", "nik": "NIK", "village_code": "Desa/kelurahan", "birth_date": "Tanggal lahir",
                    "gender": "Jenis kelamin", "occupation": "Pekerjaan", "type": "Jenis penyandang dana",
                    "amount": "Jumlah", "paid_on": "Tanggal bayar", "scheme_code": "Skema", "year": "Tahun"}
_NOTHING = " Tidak ada yang disimpan."


def constraint_error(exc: Exception, text: str | None = None) -> ValidationError:
    """The ``ValidationError`` a refused write means to the user (Indonesian, what to do).
    ``text`` is the refusal in SQLite's words (``UNIQUE constraint failed: workers.nik``...):
    ``db.errors`` words a PostgreSQL refusal the same way; by default ``str(exc)``."""
    if isinstance(exc, ValidationError):
        return exc
    text = str(exc) if text is None else text
    if isinstance(exc, OverflowError):
        return NumberTooLarge(Problem(None, "Angka yang diisi terlalu besar untuk disimpan (lebih dari 19 digit); "
                                            "periksa jumlah angka nol." + _NOTHING, "number_too_large"))
    lower = text.lower()
    if lower.startswith("unique constraint failed:"):
        columns = [c.strip() for c in text.split(":", 1)[1].split(",")]
        table, _, column = columns[0].partition(".")
        field, message = _UNIQUE.get((table, column), (column or None, f"Data yang sama sudah ada ({text.split(':', 1)[1].strip()})."))
        problem = Problem(field, message + _NOTHING, "unique")
    elif lower.startswith("check constraint failed"):
        expression = text.split(":", 1)[1].strip() if ":" in text else ""
        found = next(((f, m) for key, f, m in _CHECK if re.search(rf"\b{re.escape(key)}", expression)), None)
        field, message = found or (None, f"Isian tidak memenuhi aturan data ({expression or 'CHECK'}). Periksa isian lalu "
                                         "coba lagi.")
        problem = Problem(field, message + _NOTHING, "check")
    elif lower.startswith("foreign key constraint failed"):
        problem = Problem(None, "Data yang dirujuk (desa, pekerja, penyandang dana, skema, tagihan...) tidak ada atau sudah "
                                "dihapus. Muat ulang halaman lalu coba lagi." + _NOTHING, "foreign_key")
    elif lower.startswith("not null constraint failed:"):
        column = text.split(":", 1)[1].strip().rpartition(".")[2]
        problem = Problem(column, f"{_NOT_NULL_FIELDS.get(column, column)} wajib diisi." + _NOTHING, "not_null")
    else:  # RAISE(ABORT, '...') in a trigger: its text is already the reason
        problem = Problem(None, f"Data ditolak: {text}." + _NOTHING, "constraint")
    return ConstraintError([problem])
