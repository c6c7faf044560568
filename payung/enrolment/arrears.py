"""What is late, what has lapsed (*berakhir*), and what ends next month or has ended lately
(*selesai*: for renewal).

The late list is read on the day it is asked: every unpaid month whose due date has passed,
grouped by who must pay it (the scheme's bill party), and the workers whose run of unpaid
months ended their BPJS membership.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from db import batches, billing, queries
from db.scope import EVERYTHING

from payung.auth.access import (Actor, listed, listed_rows, require, require_visible, scope_of, sees_whole_regency,
                                visible_scheme)
from payung.base import clock
from payung.base.coverage import BERAKHIR, LIVE_STATUSES, arrears_limit, due_date, line_statuses
from payung.base.errors import Problem, ValidationError
from payung.base.formats import count, date, month_short, rupiah
from payung.base.formats import status as status_word
from payung.base.identity import normalize_phone
from payung.base.months import add_months, current_month, format_month, month_range
from payung.base.money import check_programs
from payung.base.spreadsheets import xlsx_bytes
from payung.enrolment.sponsorships import (EnrolmentPlan, enrol, payment_period_problems, plan_enrolment,
                                          priced_months, stored_choices, stored_programs)
from payung.schemes.data import DataReader
from payung.schemes.fields import Field, validate_fields
from payung.schemes.model import Enrolment
from payung.schemes.registry import PluginRegistry

#: How far back the late list looks (older unpaid months have long lapsed).
LOOK_BACK_MONTHS = 24


@dataclass
class LateList:
    today: dt.date
    #: One row per scheme and bill party: workers, months, amount still payable, pay-by date.
    parties: list[dict] = field(default_factory=list)
    #: One row per worker whose membership ended: scheme, sponsor, unpaid months.
    lapsed: list[dict] = field(default_factory=list)
    #: (scheme, party) -> the first ``NAMED_WORKERS`` names owing, each with its months (the
    #: names in Python's order, whatever the database's collation).
    named: dict[tuple, dict[str, list]] = field(default_factory=dict)

    @property
    def total_open(self) -> int:
        return sum(row["amount"] for row in self.parties)


def _late_months(registry: PluginRegistry, code: str, today: dt.date, back: int) -> tuple[list[str], list[str]]:
    """A scheme's months whose due date has passed (``back`` months at most) and, of those,
    the ones still inside the arrears limit (payable)."""
    settings = registry.settings
    due_day, lapse = settings.due_day_of(code), settings.lapse_months
    months = [add_months(current_month(today), -i) for i in range(back + 1)]
    overdue = [m for m in months if today > due_date(m, due_day)]
    return overdue, [m for m in overdue if today <= arrears_limit(m, due_day, lapse)]


def late_summary(db, registry: PluginRegistry, *, actor: Actor, today: dt.date | None = None,
                 scheme_code: str | None = None, district: str | None = None,
                 village: str | None = None) -> dict:
    """What the late list adds up to (lines, distinct workers, amount still payable), for the
    Beranda: the same rule as :func:`late_list`, counted in SQL, so the two figures agree (a
    test compares them on random histories). Figures only, no names: every role that sees the
    Beranda may ask, each for its own scope; the place narrows the months counted, not the
    history that decides whether a membership has ended."""
    require(actor, "dashboard.read")
    if scheme_code:
        visible_scheme(registry, scheme_code, actor, "dashboard.read")
    today = today or clock.today()
    settings, scope = registry.settings, scope_of(actor)
    lapse = settings.lapse_months
    # A month is still payable for lapse_months after its due date (at most lapse + 2 months
    # back); lapse + 1 months before the oldest such month show any run that is too long.
    months = [add_months(current_month(today), -i) for i in range(2 * lapse + 4)]
    overdue, payable = {}, {}
    for code in [scheme_code] if scheme_code else registry.schemes:
        if not scope.covers_regency(registry.scheme(code).regency_code):
            continue
        due_day = settings.due_day_of(code)
        overdue[code] = [m for m in months if today > due_date(m, due_day)]
        payable[code] = [m for m in overdue[code] if today <= arrears_limit(m, due_day, lapse)]
    return billing.payable_arrears(db, overdue, payable, lapse, LIVE_STATUSES, scope=scope, district=district,
                                   village=village)


def late_list(db, registry: PluginRegistry, *, actor: Actor, today: dt.date | None = None,
              scheme_code: str | None = None) -> LateList:
    """What is overdue per bill party, and whose membership ended, inside the actor's scope.
    The rule runs in SQL (``db.billing.late_lines``: a regency's arrears are tens of thousands
    of lines), once per scheme; its rows are grouped here."""
    require(actor, "late.read")
    if scheme_code:
        visible_scheme(registry, scheme_code, actor, "late.read")
    today = today or clock.today()
    settings, scope = registry.settings, scope_of(actor)
    result = LateList(today)
    for scheme in registry.schemes.values():
        if (scheme_code and scheme.code != scheme_code) or not scope.covers_regency(scheme.regency_code):
            continue
        overdue, payable = _late_months(registry, scheme.code, today, LOOK_BACK_MONTHS)
        rows = billing.late_lines(db, scheme.bill_by, scheme.code, overdue, payable, settings.lapse_months,
                                  LIVE_STATUSES, scope=scope)
        parties, lapsed = _grouped(rows)
        for key in sorted(parties):
            party = parties[key]
            result.parties.append({
                "scheme_code": scheme.code, "scheme": scheme.name, "party_key": key, "party": party["party"],
                "bill_by": scheme.bill_by, "workers": len(party["worker_ids"]), "lines": party["lines"],
                "amount": party["amount"], "oldest": party["oldest"], "names": len(party["months"]),
                "pay_by": arrears_limit(party["oldest"], settings.due_day_of(scheme.code), settings.lapse_months)})
            result.named[(scheme.code, key)] = {name: sorted(party["months"][name])
                                                for name in sorted(party["months"])[:NAMED_WORKERS]}
        result.lapsed.extend(dict(listed(actor, row), scheme_code=scheme.code, scheme=scheme.name)
                             for row in lapsed.values())
    result.parties.sort(key=lambda g: (g["pay_by"], -g["amount"]))
    result.lapsed.sort(key=lambda r: (r["scheme"], r["worker"]))
    return result


def _grouped(rows) -> tuple[dict[str, dict], dict[int, dict]]:
    """``db.billing.late_lines`` rows grouped: per party the lines still payable ('menunggak'),
    per worker the months after their membership ended ('berakhir')."""
    parties: dict[str, dict] = {}
    lapsed: dict[int, dict] = {}
    for key, label, worker_id, name, nik, month, open_amount, sponsor, status in rows:
        if status == "menunggak":
            party = parties.get(key)
            if party is None:
                party = parties[key] = {"party": label, "worker_ids": set(), "lines": 0, "amount": 0,
                                        "oldest": month, "months": {}}
            if label < party["party"]:
                party["party"] = label
            if month < party["oldest"]:
                party["oldest"] = month
            party["worker_ids"].add(worker_id)
            party["lines"] += 1
            party["amount"] += open_amount
            party["months"].setdefault(name, []).append(month)
        else:
            worker = lapsed.get(worker_id)
            if worker is None:
                worker = lapsed[worker_id] = {"worker_id": worker_id, "worker": name, "nik": nik, "sponsor": sponsor,
                                              "months": 0, "first": month, "last": month}
            if month < worker["first"]:  # the sponsor of the first month that ended the membership
                worker["first"], worker["sponsor"] = month, sponsor
            elif month > worker["last"]:
                worker["last"] = month
            worker["months"] += 1
    return parties, lapsed


@dataclass
class Reminder:
    """A ready WhatsApp message to one late party. Payung sends nothing: the user copies the
    text or opens the ``wa.me`` link, and WhatsApp asks before sending."""
    scheme: str
    party: str
    phone: str | None
    link: str | None
    workers: int
    months: int
    amount: int
    pay_by: dt.date
    message: str


#: How to pay, when ``[reminders] how_to_pay`` in config.toml does not say.
#: (The bill prints no account number: the default does not point to one on it.)
HOW_TO_PAY = ("Pembayaran melalui bendahara program, atau transfer ke rekening program (tanyakan nomornya kepada "
              "petugas kami); mohon kirim bukti bayar kepada petugas kami.")
#: At most this many workers are named in one message (the rest are counted).
NAMED_WORKERS = 15


def addressee(group: dict) -> str:
    """Who a reminder greets: a sponsor by name; for a budget line the office that manages the
    scheme's budget ("Pengelola anggaran Universal Coverage Jamsostek (APBD 2026 - ...)"), not the
    line itself; for an OPD its treasurer, who collects the salary deductions."""
    if group.get("bill_by") == "budget_line":
        return f"Pengelola anggaran {group['scheme']} ({group['party']})"
    if group.get("bill_by") == "opd":
        return f"Bendahara {group['party']}"
    return group["party"]


def reminder_text(group: dict, *, how_to_pay: str = HOW_TO_PAY, sender: str = "") -> str:
    """The Indonesian reminder of one late-list group: who, which workers and months, how
    much, by when, how to pay. Names and months only: never a NIK."""

    by_worker = group["months_by_worker"]
    names = group.get("names", len(by_worker))
    lines = [f"Yth. {addressee(group)},", "",
             f"Kami mengingatkan iuran BPJS Ketenagakerjaan program {group['scheme']} yang belum dibayar "
             f"untuk {count(names)} pekerja:"]
    for name in sorted(by_worker)[:NAMED_WORKERS]:
        lines.append(f"- {name}: {', '.join(month_short(m) for m in sorted(by_worker[name]))}")
    if names > NAMED_WORKERS:
        lines.append(f"- dan {count(names - NAMED_WORKERS)} pekerja lainnya")
    lines += ["", f"Jumlah tunggakan: {rupiah(group['amount'])} ({count(group['lines'])} bulan iuran).",
              f"Mohon dibayar paling lambat {date(group['pay_by'])}. Lewat tanggal itu kepesertaan pekerja "
              "berakhir dan perlindungan JKK/JKM tidak berlaku sampai didaftarkan ulang.",
              "", f"Cara membayar: {how_to_pay}", "", "Terima kasih."]
    if sender:
        lines.append(sender)
    return "\n".join(lines)


def whatsapp_link(phone: str | None, text: str) -> str | None:
    """``https://wa.me/62812...?text=...`` for a phone number Payung can normalise, else None."""
    from urllib.parse import quote


    number, problem = normalize_phone(phone)
    if problem or not number:
        return None
    return f"https://wa.me/{number.lstrip('+')}?text={quote(text)}"


def reminders(db, registry: PluginRegistry, *, actor: Actor, today: dt.date | None = None,
              scheme_code: str | None = None, late: LateList | None = None) -> list[Reminder]:
    """A WhatsApp reminder per late party of the late list (same access: ``late.read``; pass
    ``late`` when it is already read). A sponsor's phone number gives a ``wa.me`` link; a
    budget line's is that of the sponsor named on it, else of the regency's budget sponsor
    (APBD kabupaten); an OPD has none."""
    late = late or late_list(db, registry, actor=actor, today=today, scheme_code=scheme_code)
    options = registry.settings.reminders
    how_to_pay, sender = str(options.get("how_to_pay") or HOW_TO_PAY), str(options.get("sender") or "")
    phones = queries.sponsor_phones(db, [i for group in late.parties if (i := _party_id(group, "sponsor")) is not None],
                                    scope_of(actor))
    contacts: dict[tuple, dict | None] = {}  # a budget line's, asked once however many schemes bill it
    result = []
    for group in late.parties:
        phone = None
        if (sponsor_id := _party_id(group, "sponsor")) is not None:
            phone = phones.get(sponsor_id)
        elif (line_id := _party_id(group, "budget_line")) is not None:
            asked = (line_id, registry.scheme(group["scheme_code"]).regency_code)
            if asked not in contacts:
                contacts[asked] = queries.budget_line_contact(db, *asked)
            phone = contacts[asked]["phone"] if contacts[asked] else None
        group = dict(group, months_by_worker=late.named.get((group["scheme_code"], group["party_key"]), {}))
        text = reminder_text(group, how_to_pay=how_to_pay, sender=sender)
        result.append(Reminder(group["scheme"], group["party"], phone, whatsapp_link(phone, text), group["workers"],
                               group["lines"], group["amount"], group["pay_by"], text))
    return result


def _party_id(group: dict, kind: str) -> int | None:
    """The id of the sponsor or budget line a late party of that ``kind`` is (None: a party of
    another kind, or lines billed to no budget line, "-")."""
    key = str(group["party_key"])
    return int(key) if group["bill_by"] == kind and key.isdigit() else None


def reminders_xlsx(items: list[Reminder]) -> bytes:
    """The reminders as a spreadsheet, one row per party, for a broadcast list."""

    # The number as WhatsApp and broadcast tools take it (6281...): a leading "+" would be
    # neutralised against formulas and show as '+62... in Excel.
    return xlsx_bytes([("Pengingat", ["Skema", "Pihak yang ditagih", "No. HP/WA", "Pekerja", "Bulan menunggak",
                                      "Tunggakan", "Bayar paling lambat", "Tautan WhatsApp", "Pesan"],
                        [[r.scheme, r.party, (r.phone or "").lstrip("+"), r.workers, r.months, r.amount, date(r.pay_by),
                          r.link or "", r.message] for r in items])])


@dataclass
class Renewals:
    """Live sponsorships whose last month is next month and that nobody renewed yet: the first
    rows by sponsor and worker name, and how many there are."""
    total: int
    rows: list[dict]


def ending_soon(db, registry: PluginRegistry, *, today: dt.date | None = None,
                scheme_code: str | None = None, actor: Actor, limit: int | None = None) -> Renewals:
    """What has its last month this month or next (*selesai* after it) and is not renewed yet,
    inside the actor's scope (the first ``limit`` rows, or all). This month's too: listed only
    from the month before, they had no list to be renewed from until they had ended."""
    require(actor, "late.read")
    month = current_month(today)
    return _renewals(db, registry, month, add_months(month, 1), scheme_code=scheme_code, actor=actor, limit=limit,
                     today=today)


def ended_unrenewed(db, registry: PluginRegistry, *, today: dt.date | None = None,
                    scheme_code: str | None = None, actor: Actor, limit: int | None = None) -> Renewals:
    """Live sponsorships already *selesai* (their last month has passed) in the last
    ``lapse_months`` months and not renewed: a renewal still continues them without a gap (the
    months since are billed as arrears, payable within their limit). One that ended longer ago,
    or whose membership ended by arrears, is left out: its worker is enrolled anew, from a month
    of the team's choosing."""
    require(actor, "late.read")
    this_month = current_month(today)
    return _renewals(db, registry, add_months(this_month, -registry.settings.lapse_months), add_months(this_month, -1),
                     scheme_code=scheme_code, actor=actor, limit=limit, today=today)


def _last_expired(registry: PluginRegistry, code: str, today: dt.date | None) -> str:
    """The last month of a scheme whose arrears limit has passed by ``today``."""
    today = today or clock.today()
    settings = registry.settings
    month = current_month(today)
    while today <= arrears_limit(month, settings.due_day_of(code), settings.lapse_months):
        month = add_months(month, -1)
    return month


def _renewals(db, registry: PluginRegistry, first: str, last: str, *, scheme_code: str | None, actor: Actor,
              limit: int | None, today: dt.date | None = None) -> Renewals:
    codes = [code for code in registry.schemes if scheme_code in (None, code)]
    # A sponsorship with a month unpaid past its arrears limit has ended by arrears: registered
    # anew, never renewed (``renew`` refuses it too).
    rows = billing.sponsorships_ending(db, first, LIVE_STATUSES, codes, scope=scope_of(actor), limit=limit,
                                       until=last, expired_through={code: _last_expired(registry, code, today)
                                                                    for code in codes})
    total = rows[0]["total"] if rows else 0
    rows = [{key: value for key, value in row.items() if key != "total"} for row in rows]
    return Renewals(total, listed_rows(actor, [row | {"renewal_amounts": amounts, "renewal_depends_on": read}
                                               for row, (amounts, read)
                                               in zip(rows, _renewal_amounts(db, registry, rows, actor=actor))]))


class _ReadFields(dict):
    """An enrolment's fields that note which of the names ``watched`` a plugin's hook reads
    (``read``): by name (``fields.get("sk")``, ``"sk" in fields``, ``pop``, ``setdefault``), or
    all of them at once by going through the fields (``items()``, ``len()``, a copy...)."""

    def __init__(self, values: Mapping, watched: Iterable[str]):
        super().__init__(values)
        self.watched, self.read = frozenset(watched), set()

    def _reads(self, name) -> None:
        if isinstance(name, str) and name in self.watched:
            self.read.add(name)

    def __getitem__(self, name):
        self._reads(name)
        return super().__getitem__(name)

    def get(self, name, default=None):
        self._reads(name)
        return super().get(name, default)

    def __contains__(self, name):
        self._reads(name)
        return super().__contains__(name)

    def pop(self, name, *default):
        self._reads(name)
        return super().pop(name, *default)

    def setdefault(self, name, default=None):
        self._reads(name)
        return super().setdefault(name, default)


def _reading_all(method):
    def read_all(self, *args):
        self.read.update(self.watched)
        return method(self, *args)
    return read_all


for _name in ("__iter__", "__reversed__", "__len__", "__eq__", "__ne__", "__or__", "__ror__", "__repr__", "keys",
              "items", "values", "copy"):
    setattr(_ReadFields, _name, _reading_all(getattr(dict, _name)))


def _renewal_amounts(db, registry: PluginRegistry, rows: list[Mapping], *,
                     actor: Actor) -> list[tuple[list[int], list[str]]]:
    """What each month of the renewal of each of ``rows`` (rows of the renewal lists) costs, as
    ``renew`` bills it: ``priced_months``, the rates and reliefs of those months, the worker's
    income and occupation now, and a plugin's own ``adjust_contribution``, asked with the fields
    the renewal takes (``renewal_fields``, those the team types in the confirmation not yet
    given, checked as an enrolment checks them); and the names of those not yet given that the
    hook read (``_ReadFields``): until they are given the price is an estimate (the confirmation
    prices it with what is typed). Not ``old["monthly_amount"]``, the old first month's: a
    relief (a 50% discount for drivers until February) or a new rate made it another figure
    than the renewal's. Empty for a row whose worker's income cannot be priced (``enrol``
    refuses it, saying why) or whose plugin's hook fails (the confirmation says it). The workers
    and sponsors are read at once, as the enrolment form reads them (``queries.SPONSOR_ROW``:
    the hook sees the same rows), only for the schemes a plugin adjusts
    (``PluginRegistry.adjusts``): for the others the row's income and occupation are all the
    pricing reads. A worker or sponsor outside the actor's scope leaves the row unpriced
    (``enrol`` says it is not found)."""
    codes = {code for code in {row["scheme_code"] for row in rows} if registry.adjusts(registry.scheme(code))}
    adjusted = [row for row in rows if row["scheme_code"] in codes]
    scope = scope_of(actor)
    workers = batches.workers_by_ids(db, [row["worker_id"] for row in adjusted], scope) if adjusted else {}
    sponsors = batches.sponsors_by_ids(db, [row["sponsor_id"] for row in adjusted], scope) if adjusted else {}
    specs = {code: registry.fields(registry.scheme(code)) for code in {row["scheme_code"] for row in rows}}
    taken = [renewal_fields(specs[row["scheme_code"]], row) for row in rows]
    # A village field's code is checked as the enrolment checks it (``queries.region``), all at
    # once; only where a plugin adjusts the price (no other pricing reads the fields).
    villages = queries.known_regions(db, {str(values[spec.name]).strip() for row, values in zip(rows, taken)
                                          if row["scheme_code"] in codes for spec in specs[row["scheme_code"]]
                                          if spec.type == "village" and values.get(spec.name) not in (None, "")})
    data = DataReader(db, EVERYTHING)
    result: list[tuple[list[int], list[str]]] = []
    for old, values in zip(rows, taken):
        scheme = registry.scheme(old["scheme_code"])
        left = [spec.name for spec in not_carried_over(specs[scheme.code], old)]
        fields, _ = validate_fields(specs[scheme.code], values, village_exists=villages.__contains__)
        fields = _ReadFields(fields, left)
        if scheme.code in codes:
            sponsor, worker = sponsors.get(old["sponsor_id"]), workers.get(old["worker_id"])
        else:
            sponsor, worker = {"id": old["sponsor_id"]}, {key: old[key] for key in ("declared_income", "occupation")}
        if sponsor is None or worker is None:  # outside the actor's scope: enrol says it is not found
            result.append(([], []))
            continue
        try:
            enrolment = Enrolment(
                scheme=scheme, sponsor=sponsor, worker=worker,
                programs=check_programs(registry.settings, stored_programs(old) or scheme.programs),
                start_month=renewal_start(old), months=old["months"], fields=fields, settings=registry.settings,
                data=data, sees_all=sees_whole_regency(actor, scheme.regency_code))
            amounts = [c.total for _, c in priced_months(registry, enrolment)]
        except (ValidationError, TypeError, RuntimeError):  # RuntimeError: a plugin's hook failed (the box says it)
            result.append(([], []))
            continue
        result.append((amounts, [name for name in left if name in fields.read]))
    return result


def renewal_start(old: dict) -> str:
    """The first month of the renewal of sponsorship ``old``: the month after its last."""
    return add_months(old["end_month"], 1)


def overdue_at_once(registry: PluginRegistry, old: dict, today: dt.date | None = None) -> list[str]:
    """The months of the renewal of ``old`` (a sponsorship row: ``scheme_code``, ``end_month``,
    ``months``) whose due date has passed by ``today``: billed by the renewal, they are arrears
    at once, as the late list counts them (``_late_months``). A month already past whose due date
    has not come (last month, before the scheme's ``due_day``) is not."""
    today = today or clock.today()
    due_day = registry.settings.due_day_of(old["scheme_code"])
    return [m for m in month_range(renewal_start(old), old["months"]) if today > due_date(m, due_day)]


def not_carried_over(fields: Iterable[Field], old: dict) -> list[Field]:
    """The fields whose value a renewal of ``old`` (a sponsorship row: ``start_month``,
    ``end_month``) does not copy: into another year, those that are not ``carried_over`` (a
    reference to the old year's budget document); within the year, none."""
    if old["start_month"][:4] == renewal_start(old)[:4]:
        return []
    return [spec for spec in fields if not spec.carried_over]


def renewal_fields(specs: list[Field], old: Mapping, given: Mapping[str, Any] | None = None) -> dict:
    """The fields the renewal of ``old`` (a sponsorship row) takes: its own, but a year field
    that held the old start year takes the renewal's, and a field ``not_carried_over`` into a new
    year takes what the team typed (``given``) or is left out."""
    _, fields = stored_choices(old)
    old_year, new_year = int(old["start_month"][:4]), int(renewal_start(old)[:4])
    for spec in specs:
        if spec.type == "year" and fields.get(spec.name) == old_year:
            fields[spec.name] = new_year
    for spec in not_carried_over(specs, old):
        fields.pop(spec.name, None)
        if given and spec.name in given:
            fields[spec.name] = given[spec.name]
    return fields


def _renewal_choices(db, registry: PluginRegistry, sponsorship_id: int, *, actor: Actor, today: dt.date,
                     given: Mapping[str, Any] | None) -> dict:
    """What ``enrol`` is given to renew ``sponsorship_id`` (``renew`` says which), or
    ``ValidationError`` when it must not be renewed (``_not_renewable``)."""
    old = require_visible(actor, "sponsorship.renew", queries.sponsorship(db, sponsorship_id, scope_of(actor)),
                          f"Kepesertaan #{sponsorship_id}")
    if problem := _not_renewable(db, registry, old, today):
        raise ValidationError(problem)
    programs = stored_programs(old)
    fields = renewal_fields(registry.fields(registry.scheme(old["scheme_code"])), old, given)
    start = renewal_start(old)
    return {"scheme_code": old["scheme_code"], "sponsor_id": old["sponsor_id"], "worker_id": old["worker_id"],
            "start_month": start, "months": old["months"], "programs": programs, "fields": fields,
            "payment_period": old["payment_period"]}


def renewal_plan(db, registry: PluginRegistry, sponsorship_id: int, *, actor: Actor, today: dt.date | None = None,
                 given: Mapping[str, Any] | None = None) -> EnrolmentPlan:
    """What ``renew`` would make, writing nothing: its months priced as the renewal prices them
    (each month's rate and relief, the worker's income now, the scheme's own adjustments: not the
    old kepesertaan's monthly amount), and the problems it would meet (a required field still
    empty, a quota reached, a payment period the scheme no longer allows: ``enrol`` checks it
    too). ``ValidationError`` when it must not be renewed at all."""
    choices = _renewal_choices(db, registry, sponsorship_id, actor=actor, today=today or clock.today(), given=given)
    period = choices.pop("payment_period")
    plan = plan_enrolment(db, registry, actor=actor, **choices)
    plan.problems.extend(payment_period_problems(registry.scheme(choices["scheme_code"]), registry.settings, period))
    return plan


def renew(db, registry: PluginRegistry, sponsorship_id: int, *, actor: Actor, today: dt.date | None = None,
          given: Mapping[str, Any] | None = None) -> int:
    """A new sponsorship right after this one ends: same sponsor, worker, scheme, programs,
    length, payment period and fields (a year field that held the old start year, such as a
    budget year, takes the renewal's: its quota and panels are the new year's), but for those
    ``not_carried_over`` into a new year, which take what the team typed (``given``) or stay
    empty: a text such as "APBDes 2026 No. 3" names the old year's document, not the new one's.
    Every rule is checked again (a budget may be spent, a term over, a required field empty): a
    refusal raises ``ValidationError`` with the reasons. Only a live sponsorship that has not
    ended more than ``lapse_months`` ago, whose membership has not ended by arrears, is renewed
    (whatever id a click or a crafted call sends, ``_not_renewable``): within that window the
    months a renewal adds, even those already due, may still be paid. ``renewal_plan`` says
    beforehand what it makes."""
    choices = _renewal_choices(db, registry, sponsorship_id, actor=actor, today=today or clock.today(), given=given)
    return enrol(db, registry, actor=actor, **choices)


def _not_renewable(db, registry: PluginRegistry, old: dict, today: dt.date) -> Problem | None:
    """Why a sponsorship cannot be continued by a renewal: refused or not live, ended too long
    ago (its months since are past their arrears limit), or its membership ended by arrears
    (the worker is registered anew)."""
    label = f"Kepesertaan #{old['id']}"
    if old["status"] not in LIVE_STATUSES:
        return Problem("sponsorship_id", f"{label} berstatus {status_word(old['status'])}: tidak dapat diperpanjang. "
                                         "Daftarkan pekerjanya sebagai kepesertaan baru.", "renew_status")
    lapse = registry.settings.lapse_months
    if old["end_month"] < add_months(current_month(today), -lapse):
        return Problem("sponsorship_id", f"{label} sudah selesai {format_month(old['end_month'])}, lebih dari {lapse} "
                                         "bulan lalu: tidak dapat diperpanjang. Daftarkan pekerjanya sebagai "
                                         "kepesertaan baru.", "renew_too_late")
    due_day = registry.settings.due_day_of(old["scheme_code"])
    own = {line["id"] for line in queries.lines_of(db, old["id"])}
    context = billing.worker_lines_between(db, [old["worker_id"]], add_months(old["start_month"], -(lapse + 1)),
                                           old["end_month"], LIVE_STATUSES, unpaid_only=True)
    statuses = line_statuses(context, today=today, due_day=due_day, lapse_months=lapse)
    if any(statuses.get(i) == BERAKHIR for i in own):
        return Problem("sponsorship_id", f"{label} berakhir karena tunggakan (iuran lewat batas {lapse} bulan "
                                         "tidak dibayar): tidak dapat diperpanjang. Pekerjanya harus didaftarkan "
                                         "ulang sebagai kepesertaan baru.", "renew_lapsed")
    return None
