"""Months as ``"YYYY-MM"`` strings: the unit contributions are billed in."""

from __future__ import annotations

import datetime as dt
import re
from payung.base import clock

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def parse_month(value: str) -> str:
    """Normalise ``"2025-1"`` or ``"2025-01"`` to ``"2025-01"``; raise ValueError otherwise."""
    match = _MONTH.match(value.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"not a month: {value!r}")
    return f"{int(match.group(1)):04d}-{int(match.group(2)):02d}"


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def current_month(today: dt.date | None = None) -> str:
    return month_of(today or clock.today())


def add_months(month: str, n: int) -> str:
    year, mon = int(month[:4]), int(month[5:7])
    index = year * 12 + (mon - 1) + n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_range(start: str, count: int) -> list[str]:
    """``count`` consecutive months from ``start``."""
    return [add_months(start, i) for i in range(count)]


def first_day(month: str) -> dt.date:
    return dt.date(int(month[:4]), int(month[5:7]), 1)


def format_month(month: str) -> str:
    """``"2025-08"`` -> ``"Agustus 2025"``."""
    return f"{MONTH_NAMES[int(month[5:7]) - 1]} {month[:4]}"


MONTH_NAMES = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)
