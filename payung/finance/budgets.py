"""Budgets (anggaran): a scheme's budget lines, what is committed and paid against each, the
check that keeps an enrolment inside its line, and the planner.

A budget line belongs to a scheme and a year; it may be limited to one sponsor (a village's
APBDes line) and to one value of the scheme's ``budget_field`` (a Pringsewu category). An
enrolment's months are charged, year by year, to the most specific line that fits. A scheme
with no lines for a year has no ceiling that year (a donor scheme); once it has lines, every
enrolment must fit one of them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from db import billing, queries, store

from payung.auth.access import Actor, require, require_visible, scope_of, visible_scheme
from payung.base.errors import Problem, ValidationError
from payung.base.money import Contribution, check_programs, check_rupiah, contribution, current_limits, format_rupiah
from payung.base.months import month_range, parse_month
from payung.schemes.registry import PluginRegistry
from payung.schemes.model import Enrolment
from payung.base.text import text_problem, tidy

SOURCES = {
    "APBD": "APBD kabupaten",
    "APBDes": "APBDes / Dana Desa",
    "gaji": "Potongan gaji ASN",
    "donasi": "Donasi",
    "CSR": "CSR perusahaan/bank",
    "DBHCHT": "DBH cukai hasil tembakau",
    "lainnya": "Lainnya",
}


def _too_large(amount: int, settings, field: str = "amount") -> Problem | None:
    limits = settings.limits if settings is not None else current_limits()
    return check_rupiah(amount, field=field, label="Pagu anggaran" if field == "amount" else "Anggaran",
                        maximum=limits.max_budget, rule="amount")


def create_budget_line(db, registry: PluginRegistry, values: dict, *, actor: Actor) -> int:
    """Add a budget line, or raise ``ValidationError`` naming each bad field."""
    require(actor, "budget.write")
    problems = []
    scheme_code = values.get("scheme_code")
    if scheme_code not in registry.schemes:
        problems.append(Problem("scheme_code", "Pilih skema.", "scheme_required"))
    else:
        visible_scheme(registry, scheme_code, actor, "budget.write")
    name = tidy("name", str(values.get("name") or ""))
    if not name:
        problems.append(Problem("name", "Nama pos anggaran wajib diisi (contoh: APBD 2025 - iuran pekerja rentan).",
                                "name_required"))
    elif problem := text_problem("name", "Nama pos anggaran", name):
        problems.append(problem)
    year = values.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or not 2015 <= year <= 2100:
        problems.append(Problem("year", "Tahun anggaran harus angka tahun, misalnya 2025.", "year_format"))
    if values.get("source") not in SOURCES:
        problems.append(Problem("source", "Pilih sumber dana.", "source_required"))
    amount = values.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        problems.append(Problem("amount", "Pagu harus Rupiah bulat lebih dari 0.", "amount_positive"))
    elif problem := _too_large(amount, registry.settings):
        problems.append(problem)
    sponsor_id = values.get("sponsor_id")
    if sponsor_id is not None and queries.sponsor(db, sponsor_id, scope_of(actor)) is None:
        problems.append(Problem("sponsor_id", "Penyandang dana tidak ditemukan.", "sponsor_missing"))
    category = values.get("category") or None
    if category is not None and scheme_code in registry.schemes:
        scheme = registry.scheme(scheme_code)
        choices = _category_choices(registry, scheme_code)
        if not scheme.budget_field:
            problems.append(Problem("category", f"Skema {scheme.name} tidak membagi anggaran per kategori.",
                                    "category_unused"))
        elif choices and category not in choices:
            problems.append(Problem("category", "Kategori tidak dikenal untuk skema ini.", "category_unknown"))
    if problems:
        raise ValidationError(problems)
    return store.insert(db, "budget_lines", {
        "scheme_code": scheme_code, "year": year, "name": name, "source": values["source"], "amount": amount,
        "sponsor_id": sponsor_id, "category": category, "created_by": actor.username,
    }, actor=actor.username)


def _category_choices(registry: PluginRegistry, scheme_code: str) -> dict[str, str]:
    scheme = registry.scheme(scheme_code)
    declared = next((f for f in registry.fields(scheme) if f.name == scheme.budget_field), None)
    return dict(declared.options) if declared else {}


def categories(registry: PluginRegistry, scheme_code: str) -> dict[str, str]:
    """The values a budget line of this scheme may be limited to (empty: none)."""
    return _category_choices(registry, scheme_code) if registry.scheme(scheme_code).budget_field else {}


def update_amount(db, line_id: int, amount: int, *, actor: Actor) -> None:
    """Change a line's ceiling (a budget revision, APBD-P); never below what is committed."""
    require_visible(actor, "budget.write", billing.budget_line(db, line_id, scope_of(actor)), "Pos anggaran")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValidationError(Problem("amount", "Pagu harus Rupiah bulat lebih dari 0.", "amount_positive"))
    if problem := _too_large(amount, None):
        raise ValidationError(problem)
    with store.transaction(db):
        # Under the write lock: an enrolment saved a moment ago in another session counts.
        committed = billing.budget_committed(db, line_id)
        if amount < committed:
            raise ValidationError(Problem("amount", f"Pagu baru {format_rupiah(amount)} lebih kecil dari yang sudah "
                                                    f"terikat ({format_rupiah(committed)}).", "below_committed"))
        store.update(db, "budget_lines", line_id, {"amount": amount}, actor=actor.username)


def budget_lines(db, scheme_code: str | None = None, year: int | None = None, *, actor: Actor) -> list[dict]:
    """Lines with ``committed``, ``paid`` and ``remaining`` (ceiling minus committed)."""
    require(actor, "budget.read")
    rows = billing.budget_lines(db, scheme_code, year, scope=scope_of(actor))
    for row in rows:
        row["remaining"] = row["amount"] - row["committed"]
    return rows


def assign_budget_lines(db, enrolment: Enrolment, lines: list[tuple[str, Contribution]], *, candidates=None,
                        committed=None, only_line: int | None = None) -> tuple[dict[str, int | None], list[Problem]]:
    """Charge each month of a priced enrolment to a budget line: ``{month: line id}`` and the
    problems (no line fits, or the line would be overrun).

    ``candidates(scheme_code, year)`` and ``committed(line_id)`` default to reading the
    database; the bulk planner passes its own (read once, plus the rows planned before).
    ``only_line``: the line a row names (an import's "Pos anggaran"); no other is considered."""
    candidates = candidates or (lambda code, year: billing.budget_candidates(db, code, year))
    committed = committed or (lambda line_id: billing.budget_committed(db, line_id))
    scheme = enrolment.scheme
    category = enrolment.fields.get(scheme.budget_field) if scheme.budget_field else None
    needed: dict[int, int] = defaultdict(int)
    for month, amount in lines:
        needed[int(month[:4])] += amount.total
    assignment: dict[str, int | None] = {}
    problems: list[Problem] = []
    for year, amount in sorted(needed.items()):
        lines_of_year = candidates(scheme.code, year)
        if only_line is not None and all(b["id"] != only_line for b in lines_of_year):
            problems.append(Problem("sponsor_id", (
                f"Pos anggaran yang dipilih bukan pos tahun {year}, padahal kepesertaan ini berjalan pada {year}. "
                f"Pilih pos anggaran tahun {year}, atau ubah bulan mulai atau lamanya."), "budget_year"))
            continue
        if not lines_of_year:
            chosen = None
        else:
            fits = sorted((b for b in lines_of_year if b["sponsor_id"] in (None, enrolment.sponsor["id"])
                           and b["category"] in (None, category) and only_line in (None, b["id"])),
                          key=lambda b: (b["sponsor_id"] is None, b["category"] is None, b["id"]))
            if not fits:
                problems.append(Problem("sponsor_id", (
                    f"Tidak ada pos anggaran skema {scheme.name} tahun {year} untuk penyandang dana ini"
                    + (f" dan kategori {category}" if category else "") + ". Tambahkan pos anggarannya dulu."),
                    "budget_missing"))
                continue
            room = [(b, b["amount"] - committed(b["id"])) for b in fits]
            chosen = next((b["id"] for b, left in room if left >= amount), None)
            if chosen is None:
                best, left = room[0]
                problems.append(Problem("months", (
                    f"Melebihi pos anggaran \"{best['name']}\" tahun {year}: pagu {format_rupiah(best['amount'])}, "
                    f"sisa {format_rupiah(max(left, 0))}, kepesertaan ini butuh {format_rupiah(amount)}."),
                    "budget_exceeded"))
                continue
        for month, _ in lines:
            if int(month[:4]) == year:
                assignment[month] = chosen
    return assignment, problems


# Planner ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Plan:
    """What covering one worker costs over the months, and what a sum or a headcount gives."""

    start_month: str
    months: int
    per_worker: int
    workers: int
    total: int
    leftover: int = 0


def _per_worker(settings, start_month: str, months: int, programs, income: int | None) -> tuple[str, int]:
    try:
        start = parse_month(str(start_month))
    except ValueError:
        raise ValidationError(Problem("start_month", "Bulan mulai tidak valid (contoh 2025-08).", "month_format")) from None
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 60:
        raise ValidationError(Problem("months", "Lama harus 1 sampai 60 bulan.", "months_range"))
    chosen = check_programs(settings, programs)
    income = income or settings.min_income
    return start, sum(contribution(settings, income=income, programs=chosen, month=m).total
                      for m in month_range(start, months))


def workers_for_budget(settings, budget: int, *, start_month: str, months: int = 12,
                       programs=("JKK", "JKM"), income: int | None = None) -> Plan:
    """How many workers ``budget`` Rupiah covers for ``months`` months from ``start_month``."""
    if isinstance(budget, bool) or not isinstance(budget, int) or budget <= 0:
        raise ValidationError(Problem("budget", "Anggaran harus Rupiah bulat lebih dari 0.", "amount_positive"))
    if problem := _too_large(budget, settings, field="budget"):
        raise ValidationError(problem)
    start, per_worker = _per_worker(settings, start_month, months, programs, income)
    workers = budget // per_worker if per_worker else 0
    return Plan(start, months, per_worker, workers, workers * per_worker, budget - workers * per_worker)


def cost_of_workers(settings, workers: int, *, start_month: str, months: int = 12,
                    programs=("JKK", "JKM"), income: int | None = None) -> Plan:
    """What covering ``workers`` workers for ``months`` months from ``start_month`` costs."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers <= 0:
        raise ValidationError(Problem("workers", "Jumlah pekerja harus bilangan bulat lebih dari 0.", "workers_positive"))
    if workers > 100_000_000:
        raise ValidationError(Problem("workers", "Jumlah pekerja lebih dari 100 juta: periksa angkanya.", "workers_too_many"))
    start, per_worker = _per_worker(settings, start_month, months, programs, income)
    return Plan(start, months, per_worker, workers, workers * per_worker)
