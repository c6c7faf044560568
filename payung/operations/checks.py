"""Data that checks itself: ``python -m payung check``, the Cadangan page, and the test suite
after every test that writes.

Each check compares what is stored (a derived table, a derived column, a figure a page shows)
with a recomputation from the raw rows, and says how many rows disagree. ``repair`` rebuilds
what is derived (``line_totals``, lines' ``paid_amount`` from the payments' allocations, the
names' ``name_key``, and a name another program stored as UTF-8 bytes as its text) in one
audited transaction; what is not derived (a payment's amount, a sponsorship's months) is left
for a person, and the check keeps showing it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from db import billing, consistency, store
from db.scope import EVERYTHING

from payung.auth.audit import FIELD_LABELS
from payung.schemes.data import LIVE_STATUSES
from payung.base.formats import count
from payung.base.money import format_rupiah

#: Every status a sponsorship can have (BPJS answer: aktif or ditolak).
STATUSES = ("diajukan", "aktif", "ditolak")

#: Check name -> what it compares, for the page and ``--help``.
DESCRIPTIONS = {
    "integrity_check": "Berkas basis data utuh dan dapat dibaca seluruhnya",
    "quick_check": "Berkas basis data utuh (pemeriksaan cepat, tanpa mencocokkan isi indeks)",
    "foreign_key_check": "Setiap data merujuk data yang ada (misalnya kepesertaan ke pekerja dan penyandang dana)",
    "line_totals": "Rekap iuran per bulan, skema, kecamatan, jenis kelamin, tahun lahir dibanding baris iuran",
    "paid_amounts": "Jumlah terbayar tiap baris iuran dibanding alokasi pembayaran yang tidak dibatalkan",
    "payments": "Jumlah tiap pembayaran dibanding alokasinya (dan skema baris yang dibayar)",
    "sponsorships": "Kepesertaan dibanding baris iurannya (jumlah bulan, bulan awal/akhir, pekerja, skema, status)",
    "budgets": "Terikat dan terbayar tiap pos anggaran dibanding baris iuran (dan pagu tidak terlampaui)",
    "name_texts": "Nama tiap pekerja dan penyandang dana tersimpan sebagai teks (bukan bita atau angka dari program lain)",
    "name_keys": "Kunci pencarian nama tiap pekerja dan penyandang dana (huruf besar/kecil, aksen) dibanding namanya",
}
#: Check name -> its name on the Cadangan page (the names above are the command line's).
NAMES = {
    "integrity_check": "Keutuhan berkas", "quick_check": "Keutuhan berkas (cepat)",
    "foreign_key_check": "Rujukan antardata", "line_totals": "Rekap iuran", "paid_amounts": "Jumlah terbayar",
    "payments": "Pembayaran", "sponsorships": "Kepesertaan", "budgets": "Anggaran",
    "name_texts": "Nama sebagai teks", "name_keys": "Pencarian nama",
}


#: The columns of a check's examples, on the Cadangan page (beside ``audit.FIELD_LABELS``).
EXAMPLE_LABELS = {
    "table": "Tabel", "name_key": "Kunci pencarian tersimpan", "derived": "Seharusnya", "side": "Sisi",
    "problem": "Masalah", "committed": "Terikat", "recomputed": "Dihitung ulang", "shown": "Tersimpan",
    "lines": "Baris", "protected": "Terlindungi", "billed": "Ditagih", "paid": "Dibayar", "allocated": "Dialokasikan",
    "other_scheme_lines": "Baris skema lain", "first_month": "Bulan pertama", "last_month": "Bulan terakhir",
    "first_amount": "Jumlah bulan pertama", "parent": "Induk", "rowid": "Baris", "foreign_lines": "Baris pos lain",
    "budget_scheme": "Skema pos", "birth_year": "Tahun lahir",
}
#: Tables named in an example, as the page names them.
_TABLE_NAMES = {"workers": "pekerja", "sponsors": "penyandang dana"}


def example_rows(result: "CheckResult") -> list[dict[str, str]]:
    """A check's examples as the Cadangan page shows them: Indonesian headings, texts."""
    def label(key: str) -> str:
        return EXAMPLE_LABELS.get(key) or FIELD_LABELS.get(key) or key
    return [{label(k): _TABLE_NAMES.get(v, v) if k == "table" else str(v) for k, v in e.items()}
            for e in result.examples]


@dataclass
class CheckResult:
    name: str
    checked: int
    differences: int
    examples: list[dict] = field(default_factory=list)
    #: What ``checked`` counts, for the printed line.
    unit: str = "rows"

    @property
    def ok(self) -> bool:
        return self.differences == 0

    def line(self) -> str:
        """``line_totals: ok (1.234 rows)`` or ``line_totals: 3 differences``."""
        if self.ok:
            return f"{self.name}: ok ({count(self.checked)} {self.unit})"
        return f"{self.name}: {count(self.differences)} difference{'s' if self.differences != 1 else ''}"


@dataclass
class Report:
    results: list[CheckResult]
    seconds: float
    #: The file was checked with ``quick_check`` instead of ``integrity_check``.
    quick: bool = False

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def differences(self) -> int:
        return sum(r.differences for r in self.results)

    def lines(self) -> list[str]:
        return [r.line() for r in self.results]

    def by_name(self) -> dict[str, CheckResult]:
        return {r.name: r for r in self.results}


def _budgets(db) -> CheckResult:
    """What the budget pages show (``db.billing.budget_lines``) against the lines, and every
    line charged to a budget of its own scheme and year, and no ceiling overrun."""
    shown = {row["id"]: row for row in billing.budget_lines(db, scope=EVERYTHING)}
    recomputed = consistency.budget_recomputed(db, LIVE_STATUSES)
    examples = []
    for line_id in sorted(shown.keys() | recomputed.keys()):
        a, b = shown.get(line_id), recomputed.get(line_id)
        if a is None or b is None or (a["committed"], a["paid"]) != (b["committed"], b["paid"]):
            examples.append({"budget_line_id": line_id, "shown": a and {k: a[k] for k in ("committed", "paid")},
                             "recomputed": b and {k: b[k] for k in ("committed", "paid")}})
        elif b["committed"] > b["amount"]:
            examples.append({"budget_line_id": line_id, "amount": b["amount"], "committed": b["committed"],
                             "problem": f"terikat {format_rupiah(b['committed'])} melebihi pagu {format_rupiah(b['amount'])}"})
    foreign, foreign_examples = consistency.lines_on_a_foreign_budget(db)
    return CheckResult("budgets", len(recomputed), len(examples) + foreign, (examples + foreign_examples)[:consistency.EXAMPLES])


def run_checks(db, *, quick: bool = False) -> Report:
    """Every check, in order; ``quick`` uses SQLite's ``quick_check`` for the file."""
    started = time.perf_counter()
    results = []
    problems = consistency.integrity_problems(db, quick=quick)
    pages = consistency.size_in_pages(db)
    results.append(CheckResult("quick_check" if quick else "integrity_check", pages, len(problems),
                               [{"problem": p} for p in problems[:consistency.EXAMPLES]], unit="pages"))
    if problems:
        # Reading a damaged file further can only mislead (or fail): stop at the first check.
        return Report(results, time.perf_counter() - started, quick)
    broken = consistency.foreign_key_problems(db)
    tables = len(consistency.table_names(db))
    results.append(CheckResult("foreign_key_check", tables, len(broken), broken[:consistency.EXAMPLES], unit="tables"))
    for name, figures in (("line_totals", consistency.line_totals_differences(db)),
                          ("paid_amounts", consistency.paid_amount_differences(db)),
                          ("payments", consistency.payment_differences(db)),
                          ("sponsorships", consistency.sponsorship_differences(db, STATUSES)),
                          ("name_texts", consistency.name_text_differences(db)),
                          ("name_keys", consistency.name_key_differences(db))):
        results.append(CheckResult(name, *figures))
    results.append(_budgets(db))
    return Report(results, time.perf_counter() - started, quick)


def last_audit_id(db) -> int:
    """Changes with every write (each is audited): tells when a shown check is out of date."""
    return store.last_audit_id(db)


def repair(db, *, actor: str) -> dict[str, int]:
    """Rebuild what is derived, in one transaction with the audit entries of each step: lines'
    ``paid_amount`` from the live allocations first (its triggers move the totals), then
    ``line_totals`` from the lines, then the names stored as UTF-8 bytes as their text, then the
    names' search keys."""
    with store.transaction(db):
        paid = consistency.repair_paid_amounts(db, actor=actor)
        totals = consistency.rebuild_line_totals(db, actor=actor)
        texts = consistency.repair_name_texts(db, actor=actor)  # before the keys: derived from the text
        keys = consistency.repair_name_keys(db, actor=actor)
        done = {"paid_amounts": paid, "line_totals": totals, "name_texts": texts, "name_keys": keys}
        store.audit(db, actor, "repair", "database", None, None, done)
    return done
