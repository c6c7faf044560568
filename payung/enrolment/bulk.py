"""Enrolment by the list: thousands of sponsorships planned and written at once (issue 16).

``plan_bulk`` checks every row with the form's own checks (``sponsorships.check_enrolment``:
the same core checks, field declarations and scheme rule objects, so the same messages).
What the rows need from the database is read once for the whole list (workers, sponsors,
months covered, budget lines), and the rules' counting questions are answered by
``PendingReader``: the live sponsorships counted per value in one GROUP BY, plus the rows of
the list accepted before. The 101st worker of a village with a quota of 100 is refused with
the figures, exactly as the form would refuse it after the first 100 were saved.

``apply_bulk`` writes the accepted rows in one transaction: sponsorships and lines in bulk,
the ``line_totals`` running totals by one aggregate (``db.batches.insert_lines``). A row that is
already enrolled the same way (worker, scheme, sponsor, start, months) is "unchanged", so
re-importing a list changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from db import batches, queries, store
from db.scope import EVERYTHING

from payung.auth.access import Actor, listed, require, scope_of
from payung.finance.budgets import assign_budget_lines
from payung.schemes.data import LIVE_STATUSES, DataReader
from payung.base.errors import ConstraintError, Problem, ValidationError
from payung.schemes.fields import validate_fields
from payung.base.formats import count
from payung.base.money import check_programs, contribution, format_rupiah
from payung.base.months import format_month, month_range, parse_month
from payung.schemes.editing import retired_problem
from payung.schemes.registry import PluginRegistry
from payung.enrolment.sponsorships import (EnrolmentPlan, check_enrolment, describe_cost, double_coverage,
                                          payment_period_problems, stored_choices)

Progress = Callable[[float, str], None]


class PendingReader(DataReader):
    """The ``DataReader`` rules get in a bulk plan: what is stored plus the rows accepted
    before in the same list. ``count_sponsorships`` is answered from one grouped count per
    kind of question (read once) and the pending rows; other questions go to the database."""

    def __init__(self, db, scope=EVERYTHING):
        super().__init__(db, scope)
        self._stored: dict[tuple, dict[tuple, int]] = {}
        self._pending_counts: dict[tuple, dict[tuple, int]] = {}
        self._pending: list[dict] = []
        self._pending_by_worker: dict[int | None, list[dict]] = defaultdict(list)
        self._names: dict[str, str] = {}
        #: Per kind of question: the workers stored per region, and those of pending rows not among them.
        self._covered: dict[tuple, dict[tuple, set[int]]] = {}
        self._pending_covered: dict[tuple, dict[tuple, set[int]]] = {}

    def region_name(self, code: str | None) -> str:
        if code not in self._names:
            self._names[code] = super().region_name(code)
        return self._names[code]

    @staticmethod
    def _key_of(row: dict, field_keys, worker_village, sponsor_id, sponsor_village, worker_district) -> tuple:
        key = tuple(row["fields"].get(k) for k in field_keys)
        if worker_village:
            key += (row["worker_village"],)
        if sponsor_id:
            key += (row["sponsor_id"],)
        if sponsor_village:
            key += (row["sponsor_village"],)
        if worker_district:
            key += (row["worker_district"],)
        return key

    def count_sponsorships(self, scheme_code, *, field_equals=None, worker_village=None, sponsor_id=None,
                           sponsor_village=None, statuses=LIVE_STATUSES, worker_district=None, month=None) -> int:
        field_keys = tuple(sorted(field_equals or {}))
        flags = (bool(worker_village), sponsor_id is not None, bool(sponsor_village), bool(worker_district))
        shape = (scheme_code, field_keys, flags, tuple(statuses or ()), month)
        if shape not in self._stored:
            self._stored[shape] = batches.sponsorship_counts(
                self._db, scheme_code, field_keys=field_keys, worker_village=flags[0], sponsor_id=flags[1],
                sponsor_village=flags[2], worker_district=flags[3], statuses=statuses, month=month, scope=self.scope)
            pending: dict[tuple, int] = defaultdict(int)
            for row in self._pending:
                if self._counts(scheme_code, statuses, month, row):
                    pending[self._key_of(row, field_keys, *flags)] += 1
            self._pending_counts[shape] = pending
        key = tuple((field_equals or {})[k] for k in field_keys)
        # SQL's "= NULL" matches nothing: neither does a blank value here.
        if any(v is None for v in key):
            return 0
        key += tuple(v for v, on in zip((worker_village, sponsor_id, sponsor_village, worker_district), flags) if on)
        return self._stored[shape].get(key, 0) + self._pending_counts[shape].get(key, 0)

    def count_workers(self, scheme_code, statuses=LIVE_STATUSES, *, worker_village=None, worker_district=None,
                      besides=None, month=None) -> int:
        shape = (scheme_code, bool(worker_village), bool(worker_district), tuple(statuses or ()), month)
        if shape not in self._covered:
            self._covered[shape] = batches.covered_workers(
                self._db, scheme_code, worker_village=shape[1], worker_district=shape[2], statuses=statuses,
                month=month, scope=self.scope)
            self._pending_covered[shape] = defaultdict(set)
            for row in self._pending:
                self._add_worker(shape, row)
        key = tuple(v for v in (worker_village, worker_district) if v)
        stored, pending = self._covered[shape].get(key, set()), self._pending_covered[shape].get(key, set())
        return len(stored) + len(pending) - (besides in stored or besides in pending)

    def _add_worker(self, shape, row) -> None:
        scheme_code, worker_village, worker_district, statuses, month = shape
        if not self._counts(scheme_code, statuses, month, row):
            return
        key = ((row["worker_village"],) if worker_village else ()) + ((row["worker_district"],) if worker_district
                                                                        else ())
        if row["worker_id"] not in self._covered[shape].get(key, ()):
            self._pending_covered[shape][key].add(row["worker_id"])

    def covers_worker(self, scheme_code: str, worker_id: int | None, *, month: str | None = None) -> bool:
        return any(self._counts(scheme_code, LIVE_STATUSES, month, row) for row in self._pending_by_worker[worker_id]) \
            or super().covers_worker(scheme_code, worker_id, month=month)

    @staticmethod
    def _counts(scheme_code, statuses, month, row) -> bool:
        """Whether a pending (``diajukan``) row is counted by a question on these terms."""
        return (row["scheme_code"] == scheme_code and (not statuses or "diajukan" in statuses)
                and (month is None or row["first_month"] <= month <= row["last_month"]))

    def add_pending(self, scheme_code: str, fields: dict, worker: dict, sponsor: dict, months: Sequence[str]) -> None:
        """A row accepted: from now on the rules count it as a live (``diajukan``) sponsorship of
        ``months``."""
        row = {"scheme_code": scheme_code, "fields": fields, "worker_id": worker.get("id"),
               "worker_village": worker["village_code"],
               "worker_district": worker.get("district_code"), "sponsor_id": sponsor["id"],
               "sponsor_village": sponsor.get("village_code"), "first_month": months[0], "last_month": months[-1]}
        self._pending.append(row)
        self._pending_by_worker[row["worker_id"]].append(row)
        for shape in self._covered:
            self._add_worker(shape, row)
        for shape, counts in self._pending_counts.items():
            if self._counts(shape[0], shape[3], shape[4], row):
                counts[self._key_of(row, shape[1], *shape[2])] += 1


@dataclass
class BulkRow:
    """One row of the list: what was asked, and what came of it."""

    row: int
    request: dict
    status: str = "refused"  # "new", "unchanged" or "refused"
    problems: list[Problem] = field(default_factory=list)
    plan: EnrolmentPlan | None = None

    @property
    def worker(self) -> dict | None:
        return self.plan.enrolment.worker if self.plan and self.plan.enrolment else None


@dataclass
class BulkPlan:
    rows: list[BulkRow]
    audit_mark: int
    requests: list[dict] = field(default_factory=list)

    @property
    def accepted(self) -> list[BulkRow]:
        return [r for r in self.rows if r.status == "new"]

    @property
    def refused(self) -> list[BulkRow]:
        return [r for r in self.rows if r.status == "refused"]

    @property
    def unchanged(self) -> int:
        return sum(r.status == "unchanged" for r in self.rows)

    @property
    def total(self) -> int:
        return sum(r.plan.total for r in self.accepted)

    @property
    def monthly(self) -> int:
        return sum(r.plan.monthly_amount for r in self.accepted)

    @property
    def counts(self) -> dict[str, int]:
        return {"imported": len(self.accepted), "updated": 0, "unchanged": self.unchanged,
                "rejected": len(self.refused)}

    def describe(self) -> str:
        return (f"{count(len(self.accepted))} kepesertaan baru, {format_rupiah(self.monthly)} per bulan, "
                f"{format_rupiah(self.total)} seluruhnya")


def plan_bulk(db, registry: PluginRegistry, requests: Sequence[Mapping], *, actor: Actor,
              progress: Progress | None = None) -> BulkPlan:
    """Check every request (``scheme_code``, ``sponsor_id``, ``worker_id``, ``start_month``,
    ``months``, ``programs``, ``fields``, ``payment_period``; ``row``: its number in a file) in
    order, as if each accepted one had been saved before the next. Nothing is written."""
    report = progress or (lambda f, t: None)
    requests = [dict(r) for r in requests]
    for code in sorted({r["scheme_code"] for r in requests}):
        require(actor, "sponsorship.write", {"regency_code": registry.scheme(code).regency_code})
    require(actor, "sponsorship.write")
    scope = scope_of(actor)
    mark = store.last_audit_id(db)
    report(0.02, "Membaca pekerja dan penyandang dana")
    workers = batches.workers_by_ids(db, [r["worker_id"] for r in requests if r.get("worker_id")], scope)
    sponsors = batches.sponsors_by_ids(db, [r["sponsor_id"] for r in requests if r.get("sponsor_id")], scope)
    months_of = {}
    for r in requests:
        scheme = registry.scheme(r["scheme_code"])
        try:
            length = scheme.default_months if r.get("months") in (None, "") else int(r["months"])
            months_of[id(r)] = month_range(parse_month(str(r.get("start_month"))), max(1, min(length, 60)))
        except (TypeError, ValueError):
            months_of[id(r)] = []
    every_month = sorted({m for ms in months_of.values() for m in ms})
    taken: dict[int, list[dict]] = defaultdict(list)
    existing: dict[tuple, int] = {}
    if workers and every_month:
        report(0.08, "Membaca bulan yang sudah ditanggung")
        for line in batches.lines_in_months(db, list(workers), every_month[0], every_month[-1], scope):
            taken[line["worker_id"]].append(line)
        for s in batches.live_sponsorships_of(db, list(workers), LIVE_STATUSES):
            existing[(s["worker_id"], s["scheme_code"], s["sponsor_id"], s["start_month"], s["months"])] = s
    budget = {b["id"]: b for b in batches.budget_lines_with_committed(db, sorted({r["scheme_code"] for r in requests}))}
    by_year: dict[tuple, list[dict]] = defaultdict(list)
    for b in budget.values():
        by_year[(b["scheme_code"], b["year"])].append(b)
    committed = {line_id: b["committed"] for line_id, b in budget.items()}
    regions = set(queries.region_names(db))
    retired = {code: retired_problem(queries.scheme_row(db, code), registry.scheme(code))
               for code in {r["scheme_code"] for r in requests}}
    reader = PendingReader(db)
    prices: dict[tuple, object] = {}

    def price(settings, *, income, programs, month, occupation):
        key = (income, programs, month, occupation)
        if key not in prices:
            try:
                prices[key] = contribution(settings, income=income, programs=programs, month=month,
                                           occupation=occupation)
            except ValidationError as exc:
                prices[key] = exc
        if isinstance(prices[key], ValidationError):
            raise prices[key]
        return prices[key]

    pending_months: dict[int, dict[str, int]] = defaultdict(dict)

    def coverage_for(row_number):
        def coverage(worker, month_list):
            wanted = set(month_list)
            stored = [t for t in taken.get(worker["id"], ()) if t["month"] in wanted]
            problems = double_coverage(worker, stored)
            mine = pending_months.get(worker["id"], {})
            clash = [m for m in month_list if m in mine]
            if clash and not problems:
                problems.append(Problem(
                    "start_month",
                    f"{worker['name']} sudah ditanggung pada {', '.join(format_month(m) for m in clash)} oleh baris "
                    f"{mine[clash[0]]} daftar ini. Satu pekerja tidak boleh ditanggung dua kali untuk bulan yang sama.",
                    "double_coverage"))
            return problems
        return coverage

    rows: list[BulkRow] = []
    for n, request in enumerate(requests):
        if n % 500 == 0:
            report(0.1 + 0.85 * n / max(len(requests), 1),
                   f"Memeriksa {count(n)} dari {count(len(requests))}")
        number = request.get("row", n + 1)
        scheme = registry.scheme(request["scheme_code"])
        worker, sponsor = workers.get(request.get("worker_id")), sponsors.get(request.get("sponsor_id"))
        row = BulkRow(number, request)
        rows.append(row)
        month_list = months_of[id(request)]
        stored = existing.get((worker["id"], scheme.code, sponsor["id"], month_list[0], len(month_list))) \
            if worker and sponsor and month_list else None
        if stored and _same_enrolment(registry, scheme, stored, request, regions):
            row.status = "unchanged"
            continue

        def assign(enrolment, lines, only=request.get("budget_line_id")):
            return assign_budget_lines(db, enrolment, lines, only_line=only,
                                       candidates=lambda code, year: by_year.get((code, year), []),
                                       committed=lambda line_id: committed[line_id])

        plan = check_enrolment(
            registry, scheme=scheme, sponsor=sponsor, worker=worker, start_month=request.get("start_month"),
            months=request.get("months"), programs=request.get("programs"), fields=request.get("fields"),
            actor=actor, village_exists=regions.__contains__, data=reader, coverage=coverage_for(number),
            assign=assign, price=price)
        row.plan = plan
        row.problems = retired[scheme.code] + list(plan.problems) + payment_period_problems(
            scheme, registry.settings, request.get("payment_period", 1))
        if row.problems:
            continue
        row.status = "new"
        e = plan.enrolment
        reader.add_pending(scheme.code, e.fields, e.worker, e.sponsor, e.month_list)
        for month, c in plan.lines:
            pending_months[e.worker["id"]][month] = number
            line_id = plan.budget_lines.get(month)
            if line_id is not None:
                committed[line_id] += c.total
    report(1.0, "Pemeriksaan selesai")
    return BulkPlan(rows, mark, requests)


def _same_enrolment(registry: PluginRegistry, scheme, stored: dict, request: Mapping, regions) -> bool:
    """Whether a request asks for exactly the live sponsorship ``stored`` (same programs,
    payment period and scheme fields): importing a list again then changes nothing. A request
    that differs in any of them is planned like a new one (and refused as double coverage)."""
    try:
        programs = check_programs(registry.settings, request.get("programs") or scheme.programs)
    except ValidationError:
        return False
    fields, problems = validate_fields(registry.fields(scheme), request.get("fields") or {},
                                       village_exists=regions.__contains__)
    stored_programs, stored_fields = stored_choices(stored)
    return (not problems and sorted(programs) == sorted(stored_programs)
            and request.get("payment_period", 1) == stored["payment_period"] and fields == stored_fields)


def apply_bulk(db, registry: PluginRegistry, plan: BulkPlan, *, actor: Actor,
               progress: Progress | None = None) -> dict[str, int]:
    """Write every accepted row of ``plan`` in one transaction (all or nothing). If anything
    was written since the plan was made, the list is planned again under the write lock
    first; a plan is not a permission, so each row's scope is checked again."""
    report = progress or (lambda f, t: None)
    require(actor, "sponsorship.write")
    for row in plan.accepted:
        e = row.plan.enrolment
        require(actor, "sponsorship.write", {"regency_code": e.scheme.regency_code})
        require(actor, "sponsorship.write", e.worker)
    try:
        with store.transaction(db):
            if store.last_audit_id(db) != plan.audit_mark:
                report(0.05, "Data berubah sejak diperiksa: memeriksa ulang")
                fresh = plan_bulk(db, registry, plan.requests, actor=actor)
                plan.rows, plan.audit_mark = fresh.rows, fresh.audit_mark
            accepted = plan.accepted
            if accepted:
                report(0.2, f"Menyimpan {count(len(accepted))} kepesertaan")
                _write(db, accepted, actor)
            report(1.0, "Selesai")
    except ConstraintError as exc:
        raise ValidationError(Problem(
            "start_month", "Sebagian pekerja baru saja ditanggung kepesertaan lain untuk bulan yang sama; "
                           f"tidak ada yang disimpan. Periksa daftar lagi. ({exc})", "double_coverage")) from None
    return plan.counts


def _write(db, accepted: list[BulkRow], actor: Actor) -> None:
    first = batches.max_id(db, "sponsorships") + 1
    columns = ("id", "scheme_code", "sponsor_id", "worker_id", "programs", "start_month", "months", "end_month",
               "declared_income", "monthly_amount", "payment_period", "status", "fields", "created_by",
               "scheme_version")
    sponsorships, lines = [], []
    version = {code: queries.latest_scheme_version(db, code) for code in {r.plan.enrolment.scheme.code for r in accepted}}
    for offset, row in enumerate(accepted):
        plan, e = row.plan, row.plan.enrolment
        sid = first + offset
        sponsorships.append((sid, e.scheme.code, e.sponsor["id"], e.worker["id"], ",".join(e.programs), e.start_month,
                             e.months, e.end_month, e.worker["declared_income"], plan.monthly_amount,
                             row.request.get("payment_period", 1), "diajukan", store._json(e.fields), actor.username,
                             version[e.scheme.code]))
        w = e.worker
        lines.extend((sid, w["id"], e.sponsor["id"], e.scheme.code, month, w["village_code"], w["district_code"],
                      w["occupation"], c.jkk, c.jkm, c.jht, c.total, plan.budget_lines.get(month))
                     for month, c in plan.lines)
    note = f"kepesertaan massal #{first}-#{first + len(accepted) - 1}"
    store.bulk_insert(db, "sponsorships", columns, sponsorships, actor=actor.username, note=note)
    batches.insert_lines(db, batches.LINE_COLUMNS, lines, actor=actor.username, note=f"iuran {note}")


# Select all, on the enrolment page ----------------------------------------------------------

def plan_eligible(db, registry: PluginRegistry, *, scheme_code: str, sponsor_id: int, start_month: str, months: int,
                  actor: Actor, programs=None, fields: Mapping | None = None, payment_period: int = 1,
                  region: str | None = None, occupation: str | None = None,
                  progress: Progress | None = None) -> BulkPlan:
    """Every active worker not covered in those months, of a village or district (``region``,
    default the scheme's regency; a village government: its own village) and occupation,
    inside the actor's scope, planned with one sponsor through ``plan_bulk``."""
    scheme = registry.scheme(scheme_code)
    require(actor, "sponsorship.write", {"regency_code": scheme.regency_code})
    sponsor = queries.sponsor(db, sponsor_id, scope_of(actor))
    village = sponsor.get("village_code") if sponsor and sponsor["type"] == "pemerintah_desa" else None
    prefix = region if region and (region == scheme.regency_code or region.startswith(scheme.regency_code + ".")) \
        else scheme.regency_code
    try:
        month_list = month_range(parse_month(str(start_month)), months)
    except ValueError:
        raise ValidationError(Problem("start_month", "Bulan mulai tidak valid (contoh 2025-08).", "month_format")) from None
    if len(prefix) > 8:  # a village
        village, prefix = village or prefix, prefix[:8]
    candidates = queries.eligible_workers(db, scope=scope_of(actor), region_prefix=prefix, months=month_list,
                                          village=village, occupations=[occupation] if occupation else None,
                                          limit=None)
    requests = [{"scheme_code": scheme_code, "sponsor_id": sponsor_id, "worker_id": w["id"],
                 "start_month": start_month, "months": months, "programs": programs, "fields": dict(fields or {}),
                 "payment_period": payment_period, "row": n} for n, w in enumerate(candidates, 1)]
    return plan_bulk(db, registry, requests, actor=actor, progress=progress)


def preview(plan: BulkPlan, *, actor: Actor, limit: int = 50) -> list[dict]:
    """The first ``limit`` workers a plan accepts, as a list shows them (``access.listed``: NIKs
    masked), each with what it costs (``cost``)."""
    return [dict(listed(actor, r.worker), cost=describe_cost(r.plan)) for r in plan.accepted[:limit]]
