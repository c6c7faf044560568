"""Data that checks itself (issue #14, point 7): derived figures against the raw rows."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import pytest

from payung.payments import record_payment
from payung.sponsors import create_sponsor
from payung.sponsorships import enrol
from payung.workers import update_worker

from conftest import NIK, worker_values

TODAY = dt.date(2025, 3, 1)
FIELDS = {"budget_year": 2025}


def recomputed_line_totals(db) -> dict:
    """line_totals computed here in Python from the raw rows, independently of the SQL."""
    workers = {w["id"]: w for w in db.query("SELECT id, gender, birth_date FROM workers")}
    totals: dict = defaultdict(Counter)
    for line in db.query("SELECT * FROM contribution_lines"):
        w = workers[line["worker_id"]]
        key = (line["month"], line["scheme_code"], line["district_code"], w["gender"], w["birth_date"][:4])
        totals[key].update(lines=1, protected=int(line["paid_amount"] == line["amount"]), billed=line["amount"],
                           paid=line["paid_amount"])
    return {k: (v["lines"], v["protected"], v["billed"], v["paid"]) for k, v in totals.items()}


def stored_line_totals(db) -> dict:
    return {(r["month"], r["scheme_code"], r["district_code"], r["gender"], r["birth_year"]):
            (r["lines"], r["protected"], r["billed"], r["paid"])
            for r in db.query("SELECT * FROM line_totals") if (r["lines"], r["protected"], r["billed"], r["paid"])
            != (0, 0, 0, 0)}


@pytest.fixture
def covered(app, db, admin):
    """A woman born 1975 covered for 2025 by a sponsor (Rp16.800 x 12 = Rp201.600)."""
    from payung.workers import create_worker
    worker = create_worker(db, app.settings, worker_values(), actor=admin)
    sponsor = create_sponsor(db, app.settings, {"type": "perorangan", "name": "Haji Slamet"}, actor=admin)
    enrol(db, app.plugins, actor=admin, scheme_code="contoh_desa", sponsor_id=sponsor, worker_id=worker,
          start_month="2025-01", months=12, fields=FIELDS)
    return worker, sponsor


def test_line_totals_follow_a_corrected_birth_date_and_nik(app, db, admin, covered):
    """The tester's report: correct a covered worker's NIK and birth date, then pay the bill."""
    worker, sponsor = covered
    update_worker(db, app.settings, worker, {"nik": NIK[:6] + "570876" + NIK[12:], "birth_date": "1976-08-17"},
                  actor=admin)
    record_payment(db, app.plugins, scheme_code="contoh_desa", party_key=str(sponsor), amount=201_600,
                   paid_on=TODAY, today=TODAY, actor=admin)
    assert stored_line_totals(db) == recomputed_line_totals(db)
    assert sum(v[3] for v in stored_line_totals(db).values()) == 201_600
