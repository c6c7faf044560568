"""How values are written for people: on screen, in PDFs, in XLSX and on chart axes.

One place, so a date is ``17/08/2025`` and a month ``Agu 2025`` (short, axes and tables) or
``Agustus 2025`` (prose) everywhere; states and codes become words ("Diajukan", "APBD
Kabupaten Luwu Utara"). No Streamlit here: pages, documents and exports all call it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from payung.base.clock import zone as _zone, zone_label  # noqa: F401  (zone_label: pages read it here)
from payung.base.money import format_rupiah
from payung.base.months import MONTH_NAMES, format_month

__all__ = ["date", "day", "moment", "month", "month_short", "months_span", "rupiah", "count", "status", "funding",
           "STATUS_LABELS", "MONTH_SHORT", "XLSX_DATE", "XLSX_MONEY", "VEGA_MONTH_FORMAT"]

_BRACKETED_END = re.compile(r"\s*\([^()]*\)\s*$")
MONTH_SHORT = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")
#: Excel number formats of amounts and dates in the spreadsheets Payung writes.
XLSX_MONEY = "#,##0"
XLSX_DATE = "dd/mm/yyyy"
#: Vega's time format for month axes ("Jan 2026" once Vega's month names are Indonesian).
VEGA_MONTH_FORMAT = "%b %Y"

#: Sponsorship, claim, payment and budget states as people read them.
STATUS_LABELS = {
    "diajukan": "Diajukan", "aktif": "Aktif", "ditolak": "Ditolak", "selesai": "Selesai", "berakhir": "Berakhir",
    "dibatalkan": "Dibatalkan", "diproses": "Diproses", "dibayar": "Dibayar", "lunas": "Lunas",
    "terlindungi": "Terlindungi", "belum_jatuh_tempo": "Belum jatuh tempo", "menunggak": "Menunggak",
}


def date(value: str | dt.date | dt.datetime | None) -> str:
    """``17/08/2025`` from a date, a datetime or ISO text; a timestamp keeps its time."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        return moment(value)
    if isinstance(value, dt.date):
        return f"{value:%d/%m/%Y}"
    text = str(value)
    if len(text) == 7 and text[4] == "-":
        return month(text)
    if "T" in text or (len(text) > 10 and text[10] == " "):
        return moment(text)
    return f"{dt.date.fromisoformat(text[:10]):%d/%m/%Y}"


def day(value: str | dt.datetime | None) -> str:
    """``17/08/2025``: the local day of a stored timestamp, without its time (a scheme "retired
    on" a day); not its first ten characters, the UTC date in ISO form."""
    return f"{local(value):%d/%m/%Y}" if value else ""


def local(value: str | dt.datetime) -> dt.datetime:
    """A stored timestamp (UTC, with its offset) in local time; one without an offset is taken
    as local already."""
    when = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return when.astimezone(_zone()) if when.tzinfo else when


def local_day_start(day: dt.date) -> str:
    """The UTC timestamp (as stored) at which a local day begins: for filters by date."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=_zone())
    return start.astimezone(dt.timezone.utc).isoformat(timespec="seconds")


def moment(value: str | dt.datetime | None) -> str:
    """``01/12/2026 21:05`` from an ISO timestamp stored in UTC, shown in local time
    (``[payung] timezone``, Asia/Jakarta unless set)."""
    if not value:
        return ""
    return f"{local(value):%d/%m/%Y %H:%M}"


def month(value: str | None) -> str:
    """``"2025-08"`` -> ``"Agustus 2025"`` (prose, titles)."""
    return format_month(value) if value else "-"


def month_short(value: str | None) -> str:
    """``"2026-01"`` -> ``"Jan 2026"`` (tables, chart axes)."""
    if not value:
        return "-"
    return f"{MONTH_SHORT[int(value[5:7]) - 1]} {value[:4]}"


def months_span(first: str | None, last: str | None) -> str:
    """``Januari 2026`` or ``Januari - Maret 2026`` or ``Desember 2025 - Februari 2026``."""
    if not first:
        return "-"
    if not last or first == last:
        return month(first)
    if first[:4] == last[:4]:
        return f"{MONTH_NAMES[int(first[5:7]) - 1]} - {month(last)}"
    return f"{month(first)} - {month(last)}"


def rupiah(amount: int | None) -> str:
    """``Rp1.250.000``."""
    return format_rupiah(int(amount or 0))


def count(n: int | None, *, signed: bool = False) -> str:
    """``12.345``: Indonesian thousands separator (``+1.234``/``-5`` when ``signed``)."""
    return f"{int(n or 0):{'+' if signed else ''},}".replace(",", ".")


def decimal(value: float | None, digits: int = 1) -> str:
    """``2,5``, ``1.234,5``: a decimal number with the Indonesian comma and thousands point."""
    text = f"{float(value or 0):,.{digits}f}"
    return text.replace(",", "#").replace(".", ",").replace("#", ".")


def whole_percent(part: int, whole: int) -> int:
    """``part`` of ``whole`` in whole percents for a bar or a table, never saying what is not so:
    0 only when nothing is used (0,3% reads 1, not "0%" as if unused), 100 only when exactly all
    is (99,7% reads 99, not "100%" as if full; 100,4% reads 101, not "100%" as if just full)."""
    if whole <= 0 or part <= 0:
        return 0
    if part == whole:
        return 100
    share = round(100 * part / whole)
    return max(101, share) if part > whole else min(99, max(1, share))


def short_name(name: str) -> str:
    """A name without the explanation in brackets at its end, for narrow places (a table column,
    a chart axis; the full name goes in a tooltip or beside it): "GN Lingkaran (Gerakan Nasional
    Peduli Perlindungan Pekerja Rentan)" -> "GN Lingkaran"."""
    head = _BRACKETED_END.sub("", name)
    return head if len(head) >= 3 else name


def short_name_legend(names: Iterable[str]) -> str | None:
    """What each shortened name stands for, a line each, for the tooltip of a column of
    ``short_name`` s ("GN Lingkaran: Gerakan Nasional Peduli ..."); None when none was shortened."""
    lines = dict.fromkeys(f"{short}: {name}" for name in names if (short := short_name(name)) != name)
    return "  \n".join(lines) or None


def mid_sentence(label: str) -> str:
    """A label inside a sentence: "Penyandang dana" -> "penyandang dana"; an acronym stays
    ("OPD" -> "OPD", not "opd")."""
    first = label.split(" ", 1)[0]
    return label if first.isupper() and len(first) > 1 else label[:1].lower() + label[1:]


def status(code: str | None) -> str:
    """A stored state as a word: ``"diajukan"`` -> ``"Diajukan"``."""
    if not code:
        return "-"
    return STATUS_LABELS.get(code, code.replace("_", " ").capitalize())


def funding(code: str | None, funding_codes: dict[str, str] | None = None) -> str:
    """A BPJS funding code with its meaning: ``"SG (Pemerintah (APBN/APBD))"``; unknown codes as is."""
    if not code:
        return "-"
    meaning = (funding_codes or {}).get(code)
    return f"{code} ({meaning})" if meaning else code


def regency(code: str | None, names: dict[str, str]) -> str:
    """``"73.22"`` -> ``"Kabupaten Luwu Utara"`` (names from ``[[regencies]]``)."""
    if not code:
        return "-"
    name = names.get(code)
    if not name:
        return code
    return name if name.lower().startswith(("kabupaten", "kota")) else f"Kabupaten {name}"


def joined(items: list[str]) -> str:
    """Items in a sentence: "a", "a dan b", "a, b dan c"."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} dan {items[-1]}" if items else ""
