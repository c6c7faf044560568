"""Contributions (iuran) of BPU workers, in integer Rupiah.

Rates come from the configured rate table (basis points, valid from a month) and relief
programmes; no amount is written in code and no float ever touches one.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

from lokal import format_rupiah as _format_rupiah
from lokal import terbilang

from payung.base.config import Limits, Rate, Settings
from payung.base.errors import Problem, ValidationError

#: The largest integer SQLite stores (64-bit signed): anything beyond is refused before SQL.
SQLITE_MAX_INTEGER = 2**63 - 1

#: The BPJS Ketenagakerjaan programs a sponsorship may pay for: code -> name.
PROGRAMS: dict[str, str] = {
    "JKK": "Jaminan Kecelakaan Kerja",
    "JKM": "Jaminan Kematian",
    "JHT": "Jaminan Hari Tua",
}


@dataclass(frozen=True)
class Contribution:
    """One month's contribution for one worker, split by program."""

    jkk: int = 0
    jkm: int = 0
    jht: int = 0

    @property
    def total(self) -> int:
        return self.jkk + self.jkm + self.jht

    def only(self, programs: tuple[str, ...]) -> "Contribution":
        return Contribution(**{p.lower(): getattr(self, p.lower()) for p in programs})


def percent_of(amount: int, basis_points: int) -> int:
    """``amount * basis_points / 10000`` rounded half up, in integers."""
    return (amount * basis_points + 5000) // 10000


def rate_for(settings: Settings, month: str) -> Rate:
    """The rate in force in ``month`` (the latest whose valid_from is not after it)."""
    valid = [rate for rate in settings.rates if rate.valid_from <= month]
    if not valid:
        raise ValidationError(Problem(
            "start_month", f"Tidak ada tarif iuran yang berlaku untuk bulan {month}.", "rate_missing"
        ))
    return valid[-1]


def check_programs(settings: Settings, programs) -> tuple[str, ...]:
    """Normalise a program list (order JKK, JKM, JHT); JKK and JKM are always required."""
    chosen = {str(p).strip().upper() for p in programs if str(p).strip()}
    unknown = sorted(chosen - set(PROGRAMS))
    problems = []
    if unknown:
        problems.append(Problem("programs", f"Program tidak dikenal: {', '.join(unknown)}.", "program_unknown"))
    missing = [p for p in ("JKK", "JKM") if p not in chosen]
    if missing:
        problems.append(Problem(
            "programs", "Peserta BPU wajib ikut JKK dan JKM; JHT boleh ditambahkan.", "program_required"
        ))
    if problems:
        raise ValidationError(problems)
    return tuple(p for p in PROGRAMS if p in chosen)


def contribution(
    settings: Settings,
    *,
    income: int,
    programs: tuple[str, ...],
    month: str,
    occupation: str | None = None,
) -> Contribution:
    """The monthly contribution for a declared income, programs and month.

    Income below the lowest bracket is charged at the lowest bracket. Relief programmes in
    force that month (and, when they name occupations, for this occupation) are applied.
    """
    if isinstance(income, bool) or not isinstance(income, int):
        raise TypeError("income must be integer Rupiah")
    if income <= 0:
        raise ValidationError(Problem("declared_income", "Penghasilan harus lebih dari Rp0.", "income_positive"))
    base = max(income, settings.min_income)
    rate = rate_for(settings, month)
    full = Contribution(
        jkk=percent_of(base, rate.jkk_bp),
        jkm=rate.jkm,
        jht=percent_of(base, rate.jht_bp),
    ).only(programs)
    for relief in settings.reliefs:
        if not relief.valid_from <= month <= relief.valid_to:
            continue
        if relief.occupations and occupation not in relief.occupations:
            continue
        full = replace(full, **{
            p.lower(): getattr(full, p.lower()) - percent_of(getattr(full, p.lower()), relief.discount_bp)
            for p in relief.programs if p in PROGRAMS
        })
    return full


# Remembered: a table repeats a few amounts a thousand times, and lokal's formatting is some
# 15 µs a call (``typed``: 1 and True are not one amount).
@functools.lru_cache(maxsize=4096, typed=True)
def format_rupiah(amount: int) -> str:
    """``16800`` -> ``"Rp16.800"``."""
    return _format_rupiah(amount)


def format_rupiah_short(amount: int) -> str:
    """``2692804800`` -> ``"Rp2,69 M"`` (miliar; ``jt`` juta, ``T`` triliun): for narrow places;
    integers only."""
    for unit, name in ((10**12, "T"), (10**9, "M"), (10**6, "jt")):
        if abs(amount) >= unit:
            hundredths = (abs(amount) * 100 + unit // 2) // unit
            sign = "-" if amount < 0 else ""
            return f"{sign}Rp{hundredths // 100:,}".replace(",", ".") + f",{hundredths % 100:02d} {name}"
    return format_rupiah(amount)


def in_words(amount: int) -> str:
    """``16800`` -> ``"enam belas ribu delapan ratus rupiah"`` (terbilang)."""
    return f"{terbilang(amount)} rupiah"


def current_limits() -> Limits:
    """The ``[limits]`` of the configuration loaded last (defaults before any): for the few
    checks that are not handed the settings."""
    from payung.base.config import last_limits
    return last_limits()


def check_rupiah(amount, *, field: str, label: str, maximum: int, minimum: int = 1,
                 rule: str = "amount") -> Problem | None:
    """Why an amount of integer Rupiah is refused (None when it is fine): not a whole number,
    below ``minimum``, or above ``maximum`` (a configured bound: ``[limits]`` in config.toml;
    never beyond what SQLite can store). The message says what to do."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        return Problem(field, f"{label} harus Rupiah bulat.", f"{rule}_format")
    if amount < minimum:
        least = "0 atau lebih" if minimum == 0 else f"lebih dari {format_rupiah(minimum - 1)}"
        return Problem(field, f"{label} harus {least}.", f"{rule}_positive")
    maximum = min(maximum, SQLITE_MAX_INTEGER)
    if amount > maximum:
        shown = format_rupiah(amount) if amount < 10**24 else f"angka {len(str(amount))} digit"
        return Problem(field, f"{label} {shown} melebihi batas {format_rupiah(maximum)}: hampir pasti salah ketik "
                              "(periksa jumlah angka nol). Batas ini diatur di config.toml, bagian [limits].",
                       f"{rule}_too_large")
    return None


def income_problem(amount, limits: Limits) -> Problem | None:
    """A declared monthly income: above Rp 1 miliar a month (configurable) is a typing error."""
    return check_rupiah(amount, field="declared_income", label="Penghasilan sebulan", maximum=limits.max_income,
                        rule="income")
