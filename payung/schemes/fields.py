"""Form fields declared as data: the low-code part of a scheme.

A scheme lists its extra fields (name, label, type, choices, required, help); the core renders
them and validates what was typed with ``validate_fields``. Clean values are JSON-friendly
(dates as ISO text) because they are stored in the sponsorship's ``fields`` JSON column.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from payung.base.errors import Problem
from payung.base.formats import count
from payung.base.months import parse_month
from payung.base.text import LINE_MAX, character_problem, length_message, tidy

_ISO_DATE = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$")
_DMY_DATE = re.compile(r"^(?P<d>\d{1,2})[/-](?P<m>\d{1,2})[/-](?P<y>\d{4})$")

#: The types a ``Field`` may have (``Field(..., type=...)``).
FIELD_TYPES = ("text", "integer", "rupiah", "choice", "multichoice", "date", "month", "year", "bool", "village")


def carried_by_default(field_type: str) -> bool:
    """Whether a renewal into another year copies a field of ``field_type`` whose ``carry_over``
    is not said: not a ``text`` (mostly the number of one year's document), every other type."""
    return field_type != "text"


@dataclass(frozen=True)
class Field:
    """One extra form field.

    ``choices`` is a sequence of values or of ``(value, label)`` pairs. ``minimum`` and
    ``maximum`` bound numbers (integer, rupiah, year) and dates/months (as text).
    ``carry_over``: whether a renewal into another year copies the value (``carried_over``).
    """

    name: str
    label: str
    type: str = "text"
    choices: tuple = ()
    required: bool = False
    help: str = ""
    default: Any = None
    minimum: Any = None
    maximum: Any = None
    carry_over: bool | None = None

    def __post_init__(self):
        if self.type not in FIELD_TYPES:
            raise ValueError(f"field {self.name}: unknown type {self.type!r}; use one of {FIELD_TYPES}")
        if self.type in ("choice", "multichoice") and not self.choices:
            raise ValueError(f"field {self.name}: a {self.type} field needs choices")

    @property
    def carried_over(self) -> bool:
        """Whether a renewal into another year copies this field's value. ``carry_over`` says so;
        left unsaid, a ``text`` field is not copied (free text is mostly the number of one year's
        document: "APBDes 2026 No. 3", a DPA, a receipt) and the others are (a ``year`` field
        that held the old year takes the new one). Within one year every value is copied."""
        return carried_by_default(self.type) if self.carry_over is None else self.carry_over

    @property
    def options(self) -> list[tuple[Any, str]]:
        """Choices as ``(value, label)`` pairs."""
        return [c if isinstance(c, tuple) else (c, str(c)) for c in self.choices]

    def choice_label(self, value) -> str:
        return dict(self.options).get(value, str(value))


def blank(value) -> bool:
    """Whether a field's value counts as not given (nothing chosen, only spaces): it then takes
    its default (``validate_fields``), and the renewal confirmation says it is still empty."""
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def parse_integer(value) -> int:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError
        return int(value)
    text = re.sub(r"^rp\.?\s*", "", str(value).strip().lower()).replace(".", "").replace(" ", "")
    if not re.fullmatch(r"-?\d+", text):
        raise ValueError
    return int(text)


def parse_date(value) -> dt.date:
    """``date``, ``"1975-08-17"`` or ``"17/08/1975"`` / ``"17-08-1975"``."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = value.strip() if type(value) is str else str(value).strip()
    if len(text) == 10 and text[4] == "-":
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(text) from None
    match = _ISO_DATE.match(text) or _DMY_DATE.match(text)
    if not match:
        raise ValueError(text)
    parts = match.groupdict()
    return dt.date(int(parts["y"]), int(parts["m"]), int(parts["d"]))


def _bound(f: Field, number: int) -> str:
    """A bound as the message shows it: a year as it is written (2025), other numbers with the
    thousands point (1.000.000)."""
    return str(number) if f.type == "year" else count(number)


def _clean_one(f: Field, value, village_exists: Callable[[str], bool] | None) -> tuple[Any, str | None]:
    """Return (clean value, Indonesian error or None) for one non-blank value."""
    quoted = f"«{f.label}»"
    if f.type == "text":  # checked as stored: one line, whatever the field's name
        value = tidy(None, str(value))
    for text in (value if isinstance(value, (list, tuple, set)) else [value]):
        if isinstance(text, str) and (found := character_problem(quoted, text)):
            return None, found[1]
    if f.type == "text":
        return (None, length_message(quoted, len(value), LINE_MAX)) if len(value) > LINE_MAX else (value, None)
    if f.type in ("integer", "rupiah", "year"):
        try:
            number = parse_integer(value)
        except ValueError:
            kind = "tahun" if f.type == "year" else "angka bulat" if f.type == "integer" else "jumlah Rupiah"
            return None, f"{quoted} harus berupa {kind}."
        low = f.minimum if f.minimum is not None else (0 if f.type == "rupiah" else None)
        if low is not None and number < low:
            return None, f"{quoted} minimal {_bound(f, low)}."
        if f.maximum is not None and number > f.maximum:
            return None, f"{quoted} maksimal {_bound(f, f.maximum)}."
        return number, None
    if f.type == "choice":
        allowed = [v for v, _ in f.options]
        if value not in allowed:
            return None, f"{quoted}: pilih salah satu dari {', '.join(label for _, label in f.options)}."
        return value, None
    if f.type == "multichoice":
        values = list(value) if isinstance(value, (list, tuple, set)) else [value]
        allowed = [v for v, _ in f.options]
        wrong = [str(v) for v in values if v not in allowed]
        if wrong:
            return None, f"{quoted}: pilihan tidak dikenal: {', '.join(wrong)}."
        return [v for v in allowed if v in values], None
    if f.type == "date":
        try:
            day = parse_date(value)
        except ValueError:
            return None, f"{quoted} harus berupa tanggal (contoh 17/08/2025)."
        if f.minimum is not None and day.isoformat() < str(f.minimum):
            return None, f"{quoted} tidak boleh sebelum {f.minimum}."
        if f.maximum is not None and day.isoformat() > str(f.maximum):
            return None, f"{quoted} tidak boleh sesudah {f.maximum}."
        return day.isoformat(), None
    if f.type == "month":
        try:
            return parse_month(str(value)), None
        except ValueError:
            return None, f"{quoted} harus berupa bulan (contoh 2025-08)."
    if f.type == "bool":
        if isinstance(value, bool):
            return value, None
        text = str(value).strip().lower()
        if text in ("ya", "y", "true", "1", "yes"):
            return True, None
        if text in ("tidak", "t", "false", "0", "no"):
            return False, None
        return None, f"{quoted} harus Ya atau Tidak."
    if f.type == "village":
        code = str(value).strip()
        if village_exists is not None and not village_exists(code):
            return None, f"{quoted}: kode desa/kelurahan \"{code}\" tidak dikenal."
        return code, None
    raise AssertionError(f.type)


def validate_fields(
    fields: list[Field],
    values: Mapping[str, Any],
    *,
    village_exists: Callable[[str], bool] | None = None,
) -> tuple[dict[str, Any], list[Problem]]:
    """Check ``values`` against ``fields``; returns the clean values and every problem.

    Unknown keys are dropped; a blank optional field takes its default.
    """
    clean: dict[str, Any] = {}
    problems: list[Problem] = []
    for f in fields:
        value = values.get(f.name)
        if blank(value):
            # A required field with a default takes it, as the form shows it pre-filled.
            if f.required and f.type != "bool" and f.default is None:
                problems.append(Problem(f.name, f"«{f.label}» wajib diisi.", "field_required"))
            elif f.default is not None or f.type == "bool":
                clean[f.name] = f.default if f.default is not None else False
            continue
        cleaned, error = _clean_one(f, value, village_exists)
        if error:
            problems.append(Problem(f.name, error, "field_invalid"))
        else:
            clean[f.name] = cleaned
    return clean, problems
