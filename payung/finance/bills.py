"""Bills (tagihan): what a party owes a scheme for a range of months, line by line.

Who receives a bill is the scheme's ``bill_by``: each sponsor, the OPD treasurer (Kendal's
salary deductions) or the budget line (an APBD scheme). A bill covers one month, or several
when a sponsor pays 3, 6 or 12 months in advance. Every line carries its coverage status, so
a bill also says what is late and what can no longer be paid.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from db import billing, queries

from payung.auth.access import Actor, listed_rows, scope_of, visible_scheme
from payung.base import clock
from payung.base.coverage import BELUM_JATUH_TEMPO, BERAKHIR, PAYABLE, TERLINDUNGI, due_date, line_statuses
from payung.base.errors import NotFound, Problem, ValidationError
from payung.base.money import in_words
from payung.base.months import add_months, format_month, parse_month
from payung.schemes.data import LIVE_STATUSES
from payung.schemes.registry import PluginRegistry


@dataclass(frozen=True)
class Party:
    """Who a bill is for: ``kind`` is a key of ``schemes.BILL_BY``."""

    kind: str
    key: str
    label: str

    @property
    def sponsor_id(self) -> int | None:
        return int(self.key) if self.kind == "sponsor" else None


class _Heading:
    """What a bill's heading says, for a bill with its lines and for its summary alike."""

    from_month: str
    to_month: str
    total: int
    only_villages: tuple[str, ...]

    @property
    def coverage(self) -> str | None:
        """What a village operator's bill holds (only its villages' workers), said on its page
        and in its files: it looked like the sponsor's whole bill. None for a whole bill."""
        if not self.only_villages:
            return None
        return (f"Hanya pekerja desa {', '.join(self.only_villages)}: baris pekerja desa lain dari penyandang dana "
                "ini tidak termasuk, jadi ini bukan tagihan lengkapnya.")

    @property
    def period(self) -> str:
        if self.from_month == self.to_month:
            return format_month(self.from_month)
        return f"{format_month(self.from_month)} - {format_month(self.to_month)}"

    @property
    def total_in_words(self) -> str:
        return in_words(self.total)


@dataclass
class Bill(_Heading):
    scheme_code: str
    scheme_name: str
    party: Party
    from_month: str
    to_month: str
    lines: list[dict] = field(default_factory=list)
    only_villages: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        return sum(line["amount"] for line in self.lines)

    @property
    def paid(self) -> int:
        return sum(line["paid_amount"] for line in self.lines)

    @property
    def open(self) -> int:
        return self.total - self.paid

    @property
    def payable(self) -> int:
        """What a payment may still settle (lines past the arrears limit are excluded)."""
        return sum(line["amount"] - line["paid_amount"] for line in self.payable_lines)

    @property
    def payable_lines(self) -> list[dict]:
        return [line for line in self.lines if line["paid_amount"] < line["amount"] and line["status"] in PAYABLE]

    @property
    def lapsed(self) -> list[dict]:
        return [line for line in self.lines if line["status"] == BERAKHIR]

    @property
    def workers(self) -> int:
        return len({line["worker_id"] for line in self.lines})

    def by_program(self) -> dict[str, int]:
        return {p: sum(line[p.lower()] for line in self.lines) for p in ("JKK", "JKM", "JHT")}


@dataclass(frozen=True)
class OpenLine:
    """An unpaid line of a bill, as a summary keeps it."""

    id: int
    amount: int
    paid_amount: int
    status: str


@dataclass(frozen=True)
class BillSummary(_Heading):
    """A bill without its lines' details: its totals, its unpaid lines' statuses and the order
    of its lines, so that its page reads only the lines it shows (``bill_page``). An OPD's month
    is 13.000 lines; reading them all with their names again after every payment was most of
    the page's work."""

    scheme_code: str
    scheme_name: str
    party: Party
    from_month: str
    to_month: str
    #: Every line's id, in payment order.
    line_ids: tuple[int, ...]
    workers: int
    total: int
    paid: int
    #: The unpaid lines, in payment order.
    open_lines: tuple[OpenLine, ...]
    only_villages: tuple[str, ...] = ()

    @property
    def line_count(self) -> int:
        return len(self.line_ids)

    @property
    def open(self) -> int:
        return self.total - self.paid

    @property
    def payable(self) -> int:
        """What a payment may still settle (lines past the arrears limit are excluded)."""
        return sum(line.amount - line.paid_amount for line in self.open_lines if line.status in PAYABLE)

    @property
    def lapsed_count(self) -> int:
        """How many lines are past the arrears limit."""
        return sum(1 for line in self.open_lines if line.status == BERAKHIR)


def month_span(from_month: str, to_month: str | None = None) -> tuple[str, str]:
    """Check a range of months; one month when ``to_month`` is empty."""
    try:
        start = parse_month(str(from_month))
        end = parse_month(str(to_month)) if to_month else start
    except ValueError:
        raise ValidationError(Problem("month", "Bulan tidak valid (contoh 2025-08).", "month_format")) from None
    if end < start:
        raise ValidationError(Problem("to_month", "Bulan akhir tidak boleh sebelum bulan awal.", "month_order"))
    if end > add_months(start, 23):
        raise ValidationError(Problem("to_month", "Satu tagihan paling banyak 24 bulan.", "month_span"))
    return start, end


def parties(db, registry: PluginRegistry, scheme_code: str, from_month: str | None,
            to_month: str | None = None, *, actor: Actor) -> list[dict]:
    """Everyone billed by a scheme in the months (every month when ``from_month`` is None),
    with lines, workers, amount, paid and open (only the lines inside the actor's scope)."""
    start, end = month_span(from_month, to_month) if from_month else (None, None)
    scheme = visible_scheme(registry, scheme_code, actor, "bill.read")
    rows = billing.bill_parties(db, scheme.bill_by, scheme.code, start, end, LIVE_STATUSES, scope_of(actor))
    for row in rows:
        row["open"] = row["amount"] - row["paid"]
        row["kind"] = scheme.bill_by
    return rows


def party(db, registry: PluginRegistry, scheme_code: str, key: str, *, actor: Actor) -> Party:
    scheme = visible_scheme(registry, scheme_code, actor, "bill.read")
    label = billing.party_label(db, scheme.bill_by, scheme.code, str(key), scope_of(actor))
    if label is None:
        raise NotFound(f"Tidak ada tagihan skema {scheme.name} untuk pihak ini.")
    return Party(scheme.bill_by, str(key), label)


def bill(db, registry: PluginRegistry, *, scheme_code: str, party_key: str, from_month: str | None,
         to_month: str | None = None, today: dt.date | None = None, actor: Actor, unpaid_only: bool = False) -> Bill:
    """One party's bill with each line's coverage status. ``from_month`` None: every month.
    A village operator's bill holds only its workers' lines; its NIKs are masked, as in every list.

    ``unpaid_only``: only the lines still open, which is all a payment needs (an OPD's month
    is 13.000 lines, most of them paid once its treasurer has paid). Its totals are then the
    open lines' only, so it takes the months given (``from_month`` required)."""
    today = today or clock.today()
    scheme = visible_scheme(registry, scheme_code, actor, "bill.read")
    if unpaid_only and not from_month:
        raise ValueError("unpaid_only needs the bill's months: they are not read from its lines")
    start, end = month_span(from_month, to_month) if from_month else (None, to_month)
    who = party(db, registry, scheme.code, party_key, actor=actor)
    lines = billing.bill_lines(db, who.kind, scheme.code, who.key, start, end, LIVE_STATUSES, scope_of(actor),
                               unpaid_only=unpaid_only)
    _attach_statuses(db, registry, scheme.code, lines, today)
    lines = listed_rows(actor, lines)
    months = [line["month"] for line in lines]
    return Bill(scheme.code, scheme.name, who, start or (min(months) if months else ""),
                end or (max(months) if months else ""), lines, _only_villages(db, actor))


def summary(db, registry: PluginRegistry, *, scheme_code: str, party_key: str, from_month: str,
            to_month: str | None = None, today: dt.date | None = None, actor: Actor) -> BillSummary:
    """One party's bill for the months as ``bill`` adds it up, without reading its lines'
    names, villages and sponsors: those are read a page at a time (``bill_page``)."""
    today = today or clock.today()
    scheme = visible_scheme(registry, scheme_code, actor, "bill.read")
    start, end = month_span(from_month, to_month)
    who = party(db, registry, scheme.code, party_key, actor=actor)
    lines = billing.bill_order(db, who.kind, scheme.code, who.key, start, end, LIVE_STATUSES, scope_of(actor))
    ids, workers, _months, amounts, paid = zip(*lines) if lines else ((), (), (), (), ())
    unpaid = [dict(id=i, worker_id=w, month=m, amount=a, paid_amount=p) for i, w, m, a, p in lines if p < a]
    late = _late_statuses(db, registry, scheme.code, unpaid, today)
    return BillSummary(
        scheme.code, scheme.name, who, start, end, line_ids=ids, workers=len(set(workers)), total=sum(amounts),
        paid=sum(paid), open_lines=tuple(OpenLine(line["id"], line["amount"], line["paid_amount"],
                                                  late.get(line["id"]) or BELUM_JATUH_TEMPO) for line in unpaid),
        only_villages=_only_villages(db, actor))


def _only_villages(db, actor: Actor) -> tuple[str, ...]:
    """The names of the villages a bill is cut to for ``actor`` (a village operator's), else ()."""
    codes = scope_of(actor).villages or ()
    return tuple(sorted((queries.region(db, code) or {"name": code})["name"] for code in codes))


def bill_page(db, registry: PluginRegistry, summarised: BillSummary, *, page: int, per_page: int,
              actor: Actor) -> list[dict]:
    """The lines of page ``page`` (from 1) of a summarised bill, as ``bill`` lists them: in
    payment order, with their statuses, NIKs masked as in every list (and only the actor's)."""
    visible_scheme(registry, summarised.scheme_code, actor, "bill.read")
    first = (max(1, page) - 1) * per_page
    ids = summarised.line_ids[first:first + per_page]
    by_id = {line["id"]: line for line in billing.lines_by_id(db, ids, scope_of(actor))}
    unpaid = {line.id: line.status for line in summarised.open_lines}
    lines = [by_id[i] for i in ids if i in by_id]
    for line in lines:
        line["status"] = unpaid.get(line["id"], TERLINDUNGI)
    return listed_rows(actor, lines)


def _late_statuses(db, registry: PluginRegistry, scheme_code: str, lines: list[dict],
                   today: dt.date) -> dict[int, str]:
    """The status of each unpaid line past its due date (id -> status). Those need their
    worker's other unpaid months, far enough back and ahead to see runs whole (a paid month ends
    a run: it is simply not among the unpaid ones)."""
    settings = registry.settings
    lapse, due_day = settings.lapse_months, settings.due_day_of(scheme_code)
    late = [l for l in lines if l["paid_amount"] < l["amount"] and today > due_date(l["month"], due_day)]
    if not late:
        return {}
    first, last = min(l["month"] for l in late), max(l["month"] for l in late)
    context = billing.worker_lines_between(
        db, sorted({l["worker_id"] for l in late}), add_months(first, -(lapse + 1)), add_months(last, lapse + 1),
        LIVE_STATUSES, unpaid_only=True)
    return line_statuses(context, today=today, due_day=due_day, lapse_months=lapse)


def _attach_statuses(db, registry: PluginRegistry, scheme_code: str, lines: list[dict], today: dt.date) -> None:
    """Set ``status`` on each line: paid lines protect, unpaid ones not yet due wait, the
    overdue ones are late or lapsed (``_late_statuses``)."""
    statuses = _late_statuses(db, registry, scheme_code, lines, today)
    for line in lines:
        line["status"] = statuses.get(line["id"]) or (TERLINDUNGI if line["paid_amount"] >= line["amount"]
                                                      else BELUM_JATUH_TEMPO)
