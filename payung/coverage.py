"""Coverage status of a worker in a month, derived from that month's contribution line.

A month protects only when its contribution is paid. Its due date is the scheme's: by default
day ``due_day`` of the following month (``[contribution] due_day`` in config.toml).
"""

from __future__ import annotations

import datetime as dt

from .months import add_months, first_day

TERLINDUNGI = "terlindungi"
MENUNGGAK = "menunggak"
BELUM_JATUH_TEMPO = "belum jatuh tempo"
TIDAK_DITANGGUNG = "tidak ditanggung"

LABELS = {
    TERLINDUNGI: "Terlindungi",
    MENUNGGAK: "Menunggak",
    BELUM_JATUH_TEMPO: "Belum jatuh tempo",
    TIDAK_DITANGGUNG: "Tidak ditanggung",
}


def due_date(month: str, due_day: int) -> dt.date:
    """The day a month's contribution falls due: ``due_day`` of the following month."""
    following = first_day(add_months(month, 1))
    return following.replace(day=min(due_day, 28))


def line_status(line: dict | None, *, today: dt.date, due_day: int) -> str:
    """Status from one line (``amount``, ``paid_amount``, ``month``), or no line at all."""
    if not line or line.get("amount") is None:
        return TIDAK_DITANGGUNG
    if line["paid_amount"] >= line["amount"]:
        return TERLINDUNGI
    return MENUNGGAK if today > due_date(line["month"], due_day) else BELUM_JATUH_TEMPO
