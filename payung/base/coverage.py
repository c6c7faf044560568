"""Coverage status of a worker in a month, derived from that month's contribution line.

A month protects only when its contribution is paid. Its due date is the scheme's: by default
day ``due_day`` of the following month (``[contribution] due_day`` in config.toml).

An unpaid month past its due date is *menunggak* (in arrears): it can still be paid, up to
``lapse_months`` (3) months after it fell due. A run of more than ``lapse_months`` consecutive
unpaid months ends the BPJS membership: every month of that run, and any month past its
arrears limit, is *berakhir*: it can no longer be paid, and the worker must be registered
anew.

A sponsorship (kepesertaan) has a state of its own, apart from its months' coverage: its stored
status ("diajukan", "aktif", "ditolak") until its last month has passed, then *selesai* (its
months ended: the sponsor's commitment is over, and it may be renewed). "Selesai" is derived
from the month asked, never stored (a stored one would go stale with the clock), and is not
*berakhir*: a membership ended by arrears, which must be registered anew.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from payung.base.months import add_months, first_day

TERLINDUNGI = "terlindungi"
MENUNGGAK = "menunggak"
BELUM_JATUH_TEMPO = "belum jatuh tempo"
BERAKHIR = "berakhir"
TIDAK_DITANGGUNG = "tidak ditanggung"

STATUS_LABELS = {
    TERLINDUNGI: "Terlindungi",
    MENUNGGAK: "Menunggak",
    BELUM_JATUH_TEMPO: "Belum jatuh tempo",
    BERAKHIR: "Berakhir (daftar ulang)",
    TIDAK_DITANGGUNG: "Tidak ditanggung",
}

#: Stored sponsorship statuses that hold a worker's months (``payung.schemes.data`` re-exports it).
LIVE_STATUSES = ("diajukan", "aktif")
#: A live sponsorship whose last month has passed (derived, never stored).
SELESAI = "selesai"

#: Statuses of a line that a payment may still settle.
PAYABLE = (MENUNGGAK, BELUM_JATUH_TEMPO)


def due_date(month: str, due_day: int) -> dt.date:
    """The day a month's contribution falls due: ``due_day`` of the following month."""
    following = first_day(add_months(month, 1))
    return following.replace(day=min(due_day, 28))


def arrears_limit(month: str, due_day: int, lapse_months: int) -> dt.date:
    """The last day an unpaid month can still be paid: ``lapse_months`` after its due date."""
    return due_date(add_months(month, lapse_months), due_day)


def _index(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:7])


def line_statuses(lines: Iterable[dict], *, today: dt.date, due_day: int, lapse_months: int) -> dict[int, str]:
    """Status of each line (``id``, ``worker_id``, ``month``, ``amount``, ``paid_amount``).

    Pass every line of the workers concerned from at least ``lapse_months`` before the months
    you need, so that runs of unpaid months are seen whole.
    """
    result: dict[int, str] = {}
    ordered = sorted(lines, key=lambda l: (l["worker_id"], l["month"]))
    run: list[dict] = []

    def close_run() -> None:
        lapsed = len(run) > lapse_months
        for line in run:
            expired = today > arrears_limit(line["month"], due_day, lapse_months)
            result[line["id"]] = BERAKHIR if lapsed or expired else MENUNGGAK
        run.clear()

    previous: dict | None = None
    for line in ordered:
        if previous is None or previous["worker_id"] != line["worker_id"] or _index(line["month"]) != _index(previous["month"]) + 1:
            close_run()
        previous = line
        if line["paid_amount"] >= line["amount"]:
            close_run()
            result[line["id"]] = TERLINDUNGI
        elif today <= due_date(line["month"], due_day):
            close_run()
            result[line["id"]] = BELUM_JATUH_TEMPO
        else:
            run.append(line)
    close_run()
    return result


def line_status(line: dict | None, *, today: dt.date, due_day: int, lapse_months: int = 3) -> str:
    """Status of one month on its own (no line at all: not covered)."""
    if not line or line.get("amount") is None:
        return TIDAK_DITANGGUNG
    return line_statuses([{**line, "id": 0, "worker_id": 0}], today=today, due_day=due_day,
                         lapse_months=lapse_months)[0]


def sponsorship_state(status: str, end_month: str, month: str) -> str:
    """What a sponsorship is in ``month`` as people read it: ``"selesai"`` once a live one's last
    month is before ``month``, else its stored status (``"ditolak"`` stays ``"ditolak"``)."""
    return SELESAI if status in LIVE_STATUSES and end_month < month else status


def is_current(status: str, end_month: str, month: str) -> bool:
    """Whether a sponsorship still holds its worker in ``month`` or later: live and not ended (one
    that starts later counts: the sponsor has taken the worker on). The SQL twin is
    ``db.queries.not_ended``."""
    return status in LIVE_STATUSES and end_month >= month
