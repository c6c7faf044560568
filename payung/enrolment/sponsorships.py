"""Enrolment (kepesertaan): a sponsor pays a worker's contributions under a scheme.

``plan_enrolment`` checks everything and prices every month without writing; ``enrol`` writes
the sponsorship and its contribution lines (one per month, amounts fixed now) in one
transaction. A worker can never be covered twice for the same month: checked here with a
clear message, and enforced by a unique index underneath.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from db import queries, store
from db.scope import EVERYTHING

from payung.auth.access import Actor, allowed, listed_rows, require, scope_of, sees_whole_regency
from payung.finance.budgets import assign_budget_lines
from payung.schemes.data import DataReader
from payung.base.errors import ConstraintError, Problem, ValidationError
from payung.schemes.fields import validate_fields
from payung.base.money import Contribution, check_programs, contribution, format_rupiah
from payung.base.months import add_months, current_month, format_month, month_range, parse_month
from payung.schemes import rules
from payung.schemes.editing import retired_problem
from payung.schemes.model import MAX_MONTHS, MONTHS_AHEAD, Enrolment
from payung.schemes.registry import PluginRegistry


@dataclass
class EnrolmentPlan:
    """A checked enrolment: its problems, or its priced months."""

    enrolment: Enrolment | None
    problems: list[Problem] = field(default_factory=list)
    lines: list[tuple[str, Contribution]] = field(default_factory=list)
    #: The budget line each month is charged to (None: the scheme has no budget that year).
    budget_lines: dict[str, int | None] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def monthly_amount(self) -> int:
        return self.lines[0][1].total if self.lines else 0

    @property
    def total(self) -> int:
        return sum(c.total for _, c in self.lines)


def plan_enrolment(
    db,
    registry: PluginRegistry,
    *,
    scheme_code: str,
    sponsor_id: int,
    worker_id: int,
    start_month: str,
    months: int | None = None,
    programs=None,
    fields: Mapping | None = None,
    actor: Actor,
) -> EnrolmentPlan:
    """Run every check (core, field declarations, the scheme's rules) and price the months."""
    scheme = registry.scheme(scheme_code)
    require(actor, "sponsorship.write", {"regency_code": scheme.regency_code})
    scope = scope_of(actor)
    plan = check_enrolment(
        registry, scheme=scheme, sponsor=queries.sponsor(db, sponsor_id, scope),
        worker=queries.worker(db, worker_id, scope), start_month=start_month, months=months, programs=programs,
        fields=fields, actor=actor, village_exists=lambda code: queries.region(db, code) is not None,
        # Rules count across every village and sponsor (a quota is the whole scheme's).
        data=DataReader(db, EVERYTHING),
        coverage=lambda worker, month_list: double_coverage(
            worker, queries.months_taken(db, worker["id"], month_list, scope)),
        assign=lambda enrolment, lines: assign_budget_lines(db, enrolment, lines),
    )
    plan.problems[:0] = retired_problem(queries.scheme_row(db, scheme.code), scheme)
    return plan


def stored_choices(row: Mapping) -> tuple[list[str], dict]:
    """The programs and scheme fields of a stored sponsorship row, as an enrolment takes them
    (renewing or resubmitting it, or comparing it with a row of a list)."""
    fields = row["fields"]
    fields = dict(fields) if isinstance(fields, Mapping) else json.loads(fields or "{}")
    return stored_programs(row), fields


def stored_programs(row: Mapping) -> list[str]:
    """The programs of a stored sponsorship row (``programs``: "JKK,JKM"), as a list."""
    return [p for p in (row["programs"] or "").split(",") if p]


def double_coverage(worker: dict, taken: list[dict]) -> list[Problem]:
    """The form's refusal when some of the months are already covered (``taken``: lines
    with ``month``, ``sponsorship_id``, ``scheme_code`` and ``sponsor_name``)."""
    if not taken:
        return []
    first = taken[0]
    # A sponsorship outside the actor's slice (the worker moved from another regency) is not named.
    by = (f"kepesertaan #{first['sponsorship_id']}, skema {first['scheme_code']}, penyandang dana "
          f"{first['sponsor_name']}" if first.get("visible", True) else "kepesertaan di luar wilayah Anda")
    return [Problem(
        "start_month",
        f"{worker['name']} sudah ditanggung pada {', '.join(format_month(t['month']) for t in taken)} "
        f"({by}). Satu pekerja tidak boleh ditanggung dua kali untuk bulan yang sama.",
        "double_coverage",
    )]


def check_enrolment(
    registry: PluginRegistry, *, scheme, sponsor: dict | None, worker: dict | None, start_month, months, programs,
    fields: Mapping | None, actor: Actor, village_exists, data: DataReader, coverage, assign,
    price=contribution,
) -> EnrolmentPlan:
    """Every check of one enrolment on rows already read (inside the actor's scope; None when
    not found): the form's ``plan_enrolment`` and the bulk planner (``payung.enrolment.bulk``) both run
    this, so they refuse with the same messages. ``coverage(worker, months)`` and
    ``assign(enrolment, lines)`` answer "already covered?" and "which budget line?"."""
    settings = registry.settings
    problems: list[Problem] = []
    if sponsor is None:
        problems.append(Problem("sponsor_id", "Penyandang dana tidak ditemukan.", "sponsor_missing"))
    elif not sponsor["active"]:
        problems.append(Problem("sponsor_id", f"Penyandang dana {sponsor['name']} sudah nonaktif.", "sponsor_inactive"))
    if worker is None or not allowed(actor, "sponsorship.write", worker):
        problems.append(Problem("worker_id", "Pekerja tidak ditemukan.", "worker_missing"))
        worker = None
    elif not worker["active"]:
        problems.append(Problem("worker_id", f"{worker['name']} sudah nonaktif.", "worker_inactive"))

    try:
        start = parse_month(str(start_month))
    except ValueError:
        problems.append(Problem("start_month", "Bulan mulai tidak valid (contoh 2025-08).", "month_format"))
        start = None
    if start is not None and (problem := _start_out_of_range(scheme, settings, start)):
        problems.append(problem)
        start = None
    months = scheme.default_months if months in (None, "") else months
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= MAX_MONTHS:
        problems.append(Problem("months", f"Lama kepesertaan harus 1 sampai {MAX_MONTHS} bulan.", "months_range"))
        months = None
    try:
        chosen_programs = check_programs(settings, programs if programs else scheme.programs)
    except ValidationError as exc:
        problems.extend(exc.problems)
        chosen_programs = scheme.programs

    clean_fields, field_problems = validate_fields(registry.fields(scheme), fields or {}, village_exists=village_exists)
    problems.extend(field_problems)
    if sponsor is None or worker is None or start is None or months is None:
        return EnrolmentPlan(None, problems)

    enrolment = Enrolment(
        scheme=scheme, sponsor=sponsor, worker=worker, programs=chosen_programs, start_month=start,
        months=months, fields=clean_fields, settings=settings, data=data,
        sees_all=sees_whole_regency(actor, scheme.regency_code),
    )
    problems.extend(_declared_limits(enrolment))
    if not field_problems:
        problems.extend(registry.validate(enrolment))
    problems.extend(coverage(worker, enrolment.month_list))
    plan = EnrolmentPlan(enrolment, problems)
    if problems:
        return plan
    try:
        plan.lines = priced_months(registry, enrolment, price)
    except ValidationError as exc:
        plan.problems.extend(exc.problems)
        return plan
    plan.budget_lines, budget_problems = assign(enrolment, plan.lines)
    if not allowed(actor, "budget.read"):  # a village operator is told that, never the figures
        budget_problems = [Problem(p.field, BUDGET_WORDS.get(p.rule, p.message), p.rule) for p in budget_problems]
    plan.problems.extend(budget_problems)
    return plan


def priced_months(registry: PluginRegistry, enrolment: Enrolment, price=contribution) -> list[tuple[str, Contribution]]:
    """Each month of ``enrolment`` as it is billed: the rate table and the reliefs of that month
    (``price``) on the worker's income and occupation, then the plugins' ``adjust_contribution``.
    The one pricing rule of an enrolment, of its plan and of a renewal's line on Tunggakan
    (``arrears._renewal_amounts``). ``ValidationError`` when the income cannot be priced."""
    worker = enrolment.worker
    return [(month, registry.adjust(enrolment, month, price(
                enrolment.settings, income=worker["declared_income"], programs=enrolment.programs, month=month,
                occupation=worker["occupation"])))
            for month in enrolment.month_list]


#: A budget refusal as told to a role that may not see budgets (no line names, no figures).
BUDGET_WORDS = {
    "budget_exceeded": "Pos anggaran skema ini tidak cukup untuk kepesertaan ini; hubungi operator kabupaten.",
    "budget_missing": "Belum ada pos anggaran skema ini untuk bulan-bulan tersebut; hubungi operator kabupaten.",
}

def start_months(scheme, settings, *, back: int = 6, ahead: int = 12, today: dt.date | None = None) -> list[str]:
    """The start months a form offers for ``scheme``: from ``back`` months ago to ``ahead`` months
    on, none before the scheme began (``_start_out_of_range`` refuses those; the list offered
    them, then refused them)."""
    this = current_month(today)
    first = (scheme.started or settings.limits.earliest_payment)[:7]
    months = [m for m in (add_months(this, i) for i in range(-back, ahead + 1)) if m >= first]
    return months or [max(first, this)]


def _start_out_of_range(scheme, settings, start: str) -> Problem | None:
    """A start month before the scheme began (or before ``[limits] earliest_payment``), or more
    than ``MONTHS_AHEAD`` months from now, is a typing mistake ("2052" for "2025")."""
    first = (scheme.started or settings.limits.earliest_payment)[:7]
    if start < first:
        return Problem("start_month", f"Bulan mulai {format_month(start)} sebelum skema {scheme.name} berjalan "
                                      f"({format_month(first)}).", "start_out_of_range")
    last = add_months(current_month(), MONTHS_AHEAD)
    if start > last:
        return Problem("start_month", f"Bulan mulai {format_month(start)} terlalu jauh ke depan; paling lambat "
                                      f"{format_month(last)}.", "start_out_of_range")
    return None


def _declared_limits(e: Enrolment) -> list[Problem]:
    """What every Scheme declares as data: its sponsor types and its commitment lengths."""
    checks = [rules.months_in(*e.scheme.months)]
    if e.scheme.sponsor_types:
        checks.append(rules.sponsor_type_in(*e.scheme.sponsor_types))
    return [p for rule in checks for p in rule(e)]


def payment_period_problems(scheme, settings, payment_period) -> list[Problem]:
    """The payment period must be one the scheme allows (its own, or config.toml's)."""
    periods = scheme.allowed_periods(settings)
    if payment_period in periods:
        return []
    return [Problem("payment_period", f"Periode pembayaran skema ini harus {', '.join(map(str, periods))} bulan.",
                    "payment_period")]


def enrol(db, registry: PluginRegistry, *, actor: Actor, payment_period: int = 1, **choices) -> int:
    """Create a sponsorship and its contribution lines, or raise ``ValidationError``. Checked
    once before the write lock and, when anything was written meanwhile (a cap's last place
    taken, the scheme retired), again under it, like a list (``bulk.apply_bulk``)."""
    mark = store.last_audit_id(db)
    plan = _checked(db, registry, actor, payment_period, choices)
    try:
        with store.transaction(db):
            if store.last_audit_id(db) != mark:
                plan = _checked(db, registry, actor, payment_period, choices)
            e = plan.enrolment
            row = {
                "scheme_code": e.scheme.code, "sponsor_id": e.sponsor["id"], "worker_id": e.worker["id"],
                "programs": ",".join(e.programs), "start_month": e.start_month, "months": e.months,
                "end_month": e.end_month, "declared_income": e.worker["declared_income"],
                "monthly_amount": plan.monthly_amount, "payment_period": payment_period, "status": "diajukan",
                "fields": e.fields, "created_by": actor.username,
            }
            # Again under the write lock: another session may have used the budget meanwhile.
            plan.budget_lines, budget_problems = assign_budget_lines(db, e, plan.lines)
            if budget_problems:
                raise ValidationError(budget_problems)
            # The version of the scheme's rules this sponsorship is made under (None: never edited).
            row["scheme_version"] = queries.latest_scheme_version(db, e.scheme.code)
            sponsorship_id = store.insert(db, "sponsorships", row, actor=actor.username)
            store.bulk_insert(
                db, "contribution_lines",
                ("sponsorship_id", "worker_id", "sponsor_id", "scheme_code", "month", "village_code",
                 "district_code", "occupation", "jkk", "jkm", "jht", "amount", "budget_line_id"),
                [(sponsorship_id, e.worker["id"], e.sponsor["id"], e.scheme.code, month, e.worker["village_code"],
                  e.worker["district_code"], e.worker["occupation"], c.jkk, c.jkm, c.jht, c.total,
                  plan.budget_lines.get(month))
                 for month, c in plan.lines],
                actor=actor.username, note=f"iuran kepesertaan #{sponsorship_id}",
            )
    except ConstraintError:
        raise ValidationError(Problem(
            "start_month",
            f"{e.worker['name']} baru saja ditanggung kepesertaan lain untuk sebagian bulan ini. "
            "Muat ulang halaman dan periksa kembali.",
            "double_coverage",
        )) from None
    return sponsorship_id


def _checked(db, registry: PluginRegistry, actor: Actor, payment_period: int, choices: dict) -> EnrolmentPlan:
    """The plan of an enrolment that passes every check, or ``ValidationError``."""
    plan = plan_enrolment(db, registry, actor=actor, **choices)
    plan.problems.extend(payment_period_problems(registry.scheme(choices["scheme_code"]), registry.settings, payment_period))
    if not plan.ok:
        raise ValidationError(plan.problems)
    require(actor, "sponsorship.write", plan.enrolment.worker)
    return plan


def describe_cost(plan: EnrolmentPlan) -> str:
    """``Rp16.800 per bulan x 12 bulan = Rp201.600``."""
    return f"{format_rupiah(plan.monthly_amount)} per bulan x {len(plan.lines)} bulan = {format_rupiah(plan.total)}"


def eligible_workers(db, registry: PluginRegistry, *, scheme_code: str, sponsor: dict | None, start_month: str,
                     months: int, actor: Actor, text: str = "", worker_id: int | None = None,
                     limit: int = 200) -> list[dict]:
    """Workers a sponsor could take on: in the scheme's regency (the sponsor's own village for
    a village government), within the actor's villages, and not covered in any of the months.
    A picker is a list: NIKs masked (``access.listed``); a full NIK typed still finds its worker.
    ``worker_id``: that worker, if they could be taken on (a worker sent to the form)."""
    scheme = registry.scheme(scheme_code)
    require(actor, "sponsorship.write", {"regency_code": scheme.regency_code})
    village = sponsor.get("village_code") if sponsor and sponsor["type"] == "pemerintah_desa" else None
    return listed_rows(actor, queries.eligible_workers(
        db, scope=scope_of(actor), region_prefix=scheme.regency_code, months=month_range(start_month, months),
        village=village, text=text, worker_id=worker_id, limit=limit))



@dataclass
class SchemesForWorker:
    """Of the schemes an actor may enrol under, those for one worker (``schemes_for_worker``)."""
    #: Codes of the schemes of the worker's regency that have a sponsor the actor may choose.
    usable: list[str]
    #: Codes of the schemes of the worker's regency with no such sponsor yet.
    unsponsored: list[str]


def schemes_for_worker(db, schemes: Mapping, worker: Mapping, *, actor: Actor) -> SchemesForWorker:
    """Which of ``schemes`` (code -> Scheme: those the actor may enrol under that take enrolments)
    could enrol ``worker``: a scheme of the worker's regency, with at least one sponsor of a kind
    it takes that the actor may choose (a village operator sees no ASN: Kendal ASN is none of
    theirs). In the order of ``schemes``. A worker sent to Kepesertaan opens on the first usable one.
    Only for a worker the actor may enrol (their village within its slice)."""
    require(actor, "sponsorship.write", worker)
    regency = worker["village_code"][:5]
    usable, unsponsored = [], []
    for code, scheme in schemes.items():
        if scheme.regency_code != regency:
            continue
        # The sponsors the actor sees (``people.sponsors.search_sponsors``'s query: that layer is above this one).
        _, total = queries.search_sponsors(db, scope=scope_of(actor), month=current_month(), text="",
                                           types=scheme.sponsor_types or None, prefer_regency=regency, only_id=None,
                                           limit=1, offset=0)
        (usable if total else unsponsored).append(code)
    return SchemesForWorker(usable, unsponsored)
