"""Claims (klaim): what the protection paid back.

A JKK (work accident) or JKM (death) claim is recorded for a worker with its incident date,
status and the benefit paid. BPJS decides a claim, not Payung; Payung warns when the month of
the incident was not paid, because then the worker was not protected.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from db import billing, queries, store

from payung.base import clock
from payung.auth.access import Actor, listed_rows, require, require_visible, scope_of
from payung.schemes.data import narrowed
from payung.base.errors import Problem, ValidationError
from payung.base.money import check_rupiah, current_limits, format_rupiah
from payung.base.months import format_month, month_of
from payung.schemes.model import Panel
from payung.base.text import text_problem, tidy

PROGRAMS = {"JKK": "JKK (kecelakaan kerja)", "JKM": "JKM (kematian)"}
STATUSES = {"diajukan": "Diajukan", "diproses": "Diproses", "dibayar": "Dibayar", "ditolak": "Ditolak"}


@dataclass
class ClaimCheck:
    values: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    line: dict | None = None


def check_claim(db, values: dict, *, actor: Actor, today: dt.date | None = None) -> ClaimCheck:
    """Validate a claim and say whether the incident month was protected."""
    today = today or clock.today()
    result = ClaimCheck()
    require(actor, "claim.write")
    worker = queries.worker(db, values.get("worker_id"), scope_of(actor)) if values.get("worker_id") else None
    if worker is None:
        result.problems.append(Problem("worker_id", "Pilih pekerja.", "worker_missing"))
    program = values.get("program")
    if program not in PROGRAMS:
        result.problems.append(Problem("program", "Pilih program: JKK atau JKM.", "program_required"))
    incident = values.get("incident_date")
    if not isinstance(incident, dt.date):
        result.problems.append(Problem("incident_date", "Tanggal kejadian wajib diisi.", "incident_required"))
    elif incident > today:
        result.problems.append(Problem("incident_date", "Tanggal kejadian tidak boleh di masa depan.", "incident_future"))
    status = values.get("status") or "diajukan"
    if status not in STATUSES:
        result.problems.append(Problem("status", "Status klaim tidak dikenal.", "status_unknown"))
    benefit = values.get("benefit_amount") or 0
    if isinstance(benefit, bool) or not isinstance(benefit, int) or benefit < 0:
        result.problems.append(Problem("benefit_amount", "Manfaat dibayar harus Rupiah bulat, 0 atau lebih.",
                                       "benefit_format"))
    elif benefit > current_limits().max_claim:
        result.problems.append(check_rupiah(benefit, field="benefit_amount", label="Manfaat klaim",
                                            maximum=current_limits().max_claim, minimum=0, rule="benefit"))
    elif status == "dibayar" and benefit == 0:
        result.problems.append(Problem("benefit_amount", "Klaim berstatus dibayar: isi manfaat yang dibayarkan.",
                                       "benefit_required"))
    paid_on = values.get("paid_on")
    if isinstance(paid_on, dt.date) and paid_on > today:
        result.problems.append(Problem("paid_on", "Tanggal manfaat dibayarkan tidak boleh di masa depan.",
                                       "paid_on_future"))
    elif isinstance(paid_on, dt.date) and isinstance(incident, dt.date) and paid_on < incident:
        result.problems.append(Problem("paid_on", "Tanggal manfaat dibayarkan tidak boleh sebelum tanggal kejadian.",
                                       "paid_on_before_incident"))
    note = tidy("note", values.get("note") or "") or None  # checked as stored
    if problem := text_problem("note", "Catatan", note):
        result.problems.append(problem)
    if status == "dibayar" and not isinstance(paid_on, dt.date):
        result.problems.append(Problem("paid_on", "Klaim berstatus dibayar: isi tanggal manfaat dibayarkan.",
                                       "paid_on_required"))
    if worker is not None and isinstance(incident, dt.date):
        month = month_of(incident)
        result.line = billing.month_line_with_status(db, worker["id"], month)
        if result.line is None:
            result.warnings.append(f"{worker['name']} tidak ditanggung skema mana pun pada {format_month(month)}: "
                                   "pada bulan kejadian pekerja tidak terlindungi.")
        elif result.line["paid_amount"] < result.line["amount"]:
            result.warnings.append(
                f"Iuran {format_month(month)} untuk {worker['name']} belum lunas "
                f"(dibayar {format_rupiah(result.line['paid_amount'])} dari {format_rupiah(result.line['amount'])}): "
                "bulan kejadian tidak terlindungi kecuali tunggakan dibayar dalam batas waktunya.")
    result.values = {
        "worker_id": worker["id"] if worker else None, "program": program,
        "incident_date": incident.isoformat() if isinstance(incident, dt.date) else None, "status": status,
        "benefit_amount": benefit if isinstance(benefit, int) else 0,
        "paid_on": paid_on.isoformat() if isinstance(paid_on, dt.date) else None,
        "note": note,
        "sponsorship_id": result.line["sponsorship_id"] if result.line else None,
    }
    return result


def record_claim(db, values: dict, *, actor: Actor, today: dt.date | None = None) -> tuple[int, list[str]]:
    """Save a claim; returns its id and the warnings (unpaid incident month)."""
    with store.transaction(db):  # checked and written under one lock: the warning holds for what is saved
        checked = check_claim(db, values, actor=actor, today=today)
        if checked.problems:
            raise ValidationError(checked.problems)
        claim_id = store.insert(db, "claims", {**checked.values, "recorded_by": actor.username}, actor=actor.username)
    return claim_id, checked.warnings


def update_claim(db, claim_id: int, *, status: str, benefit_amount: int, paid_on: dt.date | None, actor: Actor,
                 today: dt.date | None = None) -> None:
    """Move a claim on (diproses, dibayar with the benefit, ditolak)."""
    with store.transaction(db):  # the claim as it is now, under the write lock
        claim = require_visible(actor, "claim.write", billing.claim(db, claim_id, scope_of(actor)),
                                f"Klaim #{claim_id}")
        checked = check_claim(db, {"worker_id": claim["worker_id"], "program": claim["program"],
                                   "incident_date": dt.date.fromisoformat(claim["incident_date"]), "status": status,
                                   "benefit_amount": benefit_amount, "paid_on": paid_on, "note": claim["note"]},
                              actor=actor, today=today)
        if checked.problems:
            raise ValidationError(checked.problems)
        store.update(db, "claims", claim_id, {k: checked.values[k] for k in ("status", "benefit_amount", "paid_on")},
                     actor=actor.username)


def list_claims(db, *, actor: Actor, scheme_code: str | None = None) -> list[dict]:
    require(actor, "claim.read")
    return listed_rows(actor, billing.claims(db, scope=scope_of(actor), scheme_code=scheme_code))


def benefits_against_contributions(db, *, actor: Actor, scheme_code: str | None = None,
                                   worker_id: int | None = None, district: str | None = None,
                                   village: str | None = None) -> dict:
    """Contributions paid in, benefits paid out, and how many claims were paid (actor's scope,
    optionally only the workers of a district or village)."""
    require(actor, "claim.read")
    return billing.benefits_against_contributions(db, scope=narrowed(db, scope_of(actor), district, village),
                                                  scheme_code=scheme_code, worker_id=worker_id)


#: The contributions paid of every month, to this day (the panel's, and Klaim's figure).
PAID_ALL_MONTHS = "Iuran dibayar, semua bulan"
ALL_MONTHS_NOTE = ("Jumlah sampai hari ini: iuran semua bulan yang sudah dibayar (juga bulan yang dibayar di muka) "
                   "dan klaim yang sudah dibayar, bukan hanya satu bulan.")


def protection_panel(db, *, actor: Actor, scheme_code: str | None = None, worker_id: int | None = None,
                     district: str | None = None, village: str | None = None) -> Panel:
    """Benefits paid against contributions paid, as a dashboard panel. Both are totals of every
    month to this day, whatever month a page shows: the label and the caption say so (beside
    Beranda's "Iuran dibayar bulan ini", a bare "Iuran dibayar" read as that month's)."""
    totals = benefits_against_contributions(db, actor=actor, scheme_code=scheme_code, worker_id=worker_id,
                                            district=district, village=village)
    return Panel("Manfaat dibanding iuran", "metric", rows=[
        {"label": PAID_ALL_MONTHS, "value": format_rupiah(totals["contributions_paid"])},
        {"label": "Manfaat klaim dibayar", "value": format_rupiah(totals["benefits_paid"])},
        {"label": "Klaim dibayar", "value": totals["claims"]},
    ], caption=ALL_MONTHS_NOTE)

