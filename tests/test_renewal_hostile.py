"""Renewal (``arrears.renew``) under hostile or careless use: an id sent by a crafted call, an
old page or a double click is renewed only when the list would offer it (live, ended at most
``lapse_months`` ago, its membership not ended by arrears), and a budget year moves with the
renewal so a village's quota and the panels count the new year."""

from __future__ import annotations

import json
import threading

import pytest

from db import queries
from db.scope import EVERYTHING
from payung.base.errors import ValidationError
from payung.base.months import add_months, current_month
from payung.enrolment import arrears

from conftest import snapshot
from shipped_schemes import enrol_pringsewu, pringsewu_worker

MEMPAWAH, MEMPAWAH_VILLAGE = "mempawah_1desa100", "61.02.01.2001"


def _apbd(people):
    return people.sponsor("apbd_kabupaten", regency_code="18.10")


def _refused(people, sponsorship_id: int, words: str) -> None:
    before = snapshot(people.db)
    with pytest.raises(ValidationError, match=words):
        arrears.renew(people.db, people.app.plugins, sponsorship_id, actor=people.actor)
    assert snapshot(people.db) == before


def _pay_all(people, sponsorship_id: int) -> None:
    for line in queries.lines_of(people.db, sponsorship_id):
        people.db.execute("UPDATE contribution_lines SET paid_amount = amount WHERE id = ?", [line["id"]])


@pytest.mark.unchecked  # lines marked paid without payments, on purpose
def test_a_refused_sponsorship_is_not_renewed_by_its_id(people):
    """A 'ditolak' sponsorship is not in the lists, and its id sent anyway is refused (it made six
    months of bills for a membership BPJS refused)."""
    this_month = current_month()
    refused = enrol_pringsewu(people, _apbd(people), pringsewu_worker(people), start=add_months(this_month, -7),
                              months=6)
    _pay_all(people, refused)
    people.db.execute("UPDATE sponsorships SET status = 'ditolak' WHERE id = ?", [refused])
    _refused(people, refused, "berstatus Ditolak: tidak dapat diperpanjang")


@pytest.mark.unchecked
def test_a_sponsorship_ended_long_ago_is_not_renewed_into_unpayable_months(people):
    """One ended more than ``lapse_months`` ago is not listed; renewed by its id it billed months
    already past their arrears limit (berakhir the day they were made, never payable)."""
    this_month = current_month()
    lapse = people.app.settings.lapse_months
    old = enrol_pringsewu(people, _apbd(people), pringsewu_worker(people), start=add_months(this_month, -lapse - 7),
                          months=6)
    _pay_all(people, old)
    assert arrears.ended_unrenewed(people.db, people.app.plugins, actor=people.actor).total == 0
    _refused(people, old, f"lebih dari {lapse} bulan lalu")


@pytest.mark.unchecked
def test_a_membership_ended_by_arrears_is_neither_listed_nor_renewed(people):
    """Six months unpaid ended the membership (the late list names the worker 'berakhir'): the
    ended list offered it a Perpanjang button, and the renewal continued a membership BPJS has
    ended. A paid one of the same months is listed and renewed."""
    this_month = current_month()
    apbd = _apbd(people)
    lapsed = enrol_pringsewu(people, apbd, pringsewu_worker(people), start=add_months(this_month, -7), months=6)
    paid = enrol_pringsewu(people, apbd, pringsewu_worker(people), start=add_months(this_month, -7), months=6)
    _pay_all(people, paid)
    late = arrears.late_list(people.db, people.app.plugins, actor=people.actor)
    assert [r["worker_id"] for r in late.lapsed] == [queries.sponsorship(people.db, lapsed, EVERYTHING)["worker_id"]]
    assert [r["id"] for r in arrears.ended_unrenewed(people.db, people.app.plugins, actor=people.actor).rows] == [paid]
    _refused(people, lapsed, "berakhir karena tunggakan")
    assert arrears.renew(people.db, people.app.plugins, paid, actor=people.actor)


@pytest.mark.unchecked
def test_a_renewal_into_a_new_year_counts_against_that_years_village_quota(people):
    """Mempawah's quota is per village and budget year. A renewal kept the old budget year: a
    village at its quota could renew nobody into the next year ("Kuota ... 2026 sudah penuh"
    for 2027's months), and one below it renewed into the old year, past the new year's quota
    (two renewed plus two new: four workers in a year budgeted for two)."""
    gov = people.sponsor("pemerintah_desa", village_code=MEMPAWAH_VILLAGE)
    year = int(current_month()[:4])
    fields = {"budget_year": year, "apbdes_ref": f"APBDes {year} No. 3", "village_quota": 2}
    first = [people.enrol(MEMPAWAH, gov, people.worker(MEMPAWAH_VILLAGE), start=f"{year}-01", months=12,
                          fields=fields) for _ in range(2)]
    for sponsorship in first:
        _pay_all(people, sponsorship)
    renewed = [arrears.renew(people.db, people.app.plugins, s, actor=people.actor,
                             given={"apbdes_ref": f"APBDes {year + 1} No. 1"}) for s in first]
    assert [queries.sponsorship(people.db, s, EVERYTHING)["start_month"] for s in renewed] == [f"{year + 1}-01"] * 2
    assert all(f'"budget_year": {year + 1}' in queries.sponsorship(people.db, s, EVERYTHING)["fields"]
               for s in renewed)
    problems = people.refused(MEMPAWAH, gov, people.worker(MEMPAWAH_VILLAGE), start=f"{year + 1}-01", months=12,
                              fields=fields | {"budget_year": year + 1})
    assert [p.rule for p in problems] == ["quota_per_village"]


def test_a_double_click_in_two_sessions_renews_once(people):
    this_month = current_month()
    ending = enrol_pringsewu(people, _apbd(people), pringsewu_worker(people), start=add_months(this_month, -4),
                             months=6)
    results, start = [], threading.Barrier(3)

    def click():
        db = people.app.open_db()
        try:
            start.wait()
            results.append(arrears.renew(db, people.app.plugins, ending, actor=people.actor))
        except ValidationError as exc:
            results.append(str(exc))
        finally:
            db.close()
    threads = [threading.Thread(target=click) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(isinstance(r, int) for r in results) == 1
    assert all("sudah ditanggung" in r or "baru saja ditanggung" in r for r in results if isinstance(r, str))
    worker = queries.sponsorship(people.db, ending, EVERYTHING)["worker_id"]
    assert len(queries.worker_sponsorships(people.db, worker, EVERYTHING)) == 2


@pytest.mark.unchecked  # lines marked paid without payments, on purpose
def test_a_renewal_into_a_new_year_copies_no_reference_to_the_old_years_budget_document(people):
    """A renewal copied "APBDes 2026 No. 3" into the 2027 sponsorship, as if the old year's budget
    document paid the new year's months. A text field is not carried into another year: the team
    types the new year's number (required here, so a renewal without it is refused and says so)."""
    gov = people.sponsor("pemerintah_desa", village_code=MEMPAWAH_VILLAGE)
    year = int(current_month()[:4])
    old = people.enrol(MEMPAWAH, gov, people.worker(MEMPAWAH_VILLAGE), start=f"{year}-01", months=12,
                       fields={"budget_year": year, "apbdes_ref": f"APBDes {year} No. 3", "village_quota": 5})
    _pay_all(people, old)
    _refused(people, old, "Nomor RKPDes/APBDes.*wajib diisi")
    new = arrears.renew(people.db, people.app.plugins, old, actor=people.actor,
                        given={"apbdes_ref": f"APBDes {year + 1} No. 7", "village_quota": 1})
    fields = json.loads(queries.sponsorship(people.db, new, EVERYTHING)["fields"])
    assert fields == {"budget_year": year + 1, "apbdes_ref": f"APBDes {year + 1} No. 7", "village_quota": 5}, \
        "the new year's number; the quota, carried over, is not what a caller slips in"


def test_only_fields_not_carried_over_are_left_out_and_only_into_another_year():
    from payung.schemes.fields import Field
    ref, kept, year = Field("ref", "Nomor DPA"), Field("post", "Jabatan", carry_over=True), Field("y", "Tahun", "year")
    never = Field("quota", "Kuota", "integer", carry_over=False)
    into_next_year = {"start_month": "2026-07", "end_month": "2026-12"}
    within_the_year = {"start_month": "2026-01", "end_month": "2026-06"}
    assert arrears.not_carried_over([ref, kept, year, never], into_next_year) == [ref, never]
    assert arrears.not_carried_over([ref, kept, year, never], within_the_year) == []


@pytest.mark.unchecked  # lines marked paid without payments, on purpose
def test_the_renewal_lists_price_the_new_months_not_the_old_first_one(people, monkeypatch):
    """A relief (50% for some occupations until a month) priced the old sponsorship's first
    month at half: ``monthly_amount`` is that month's. The Tunggakan confirmation said "12 bulan ×
    Rp8.400 = Rp100.800" and the renewal billed Rp201.600. The lists carry what the renewal's
    months cost, as ``renew`` prices them."""
    import dataclasses

    from payung.base.config import Relief
    this_month = current_month()
    first = add_months(this_month, -11)
    settings = people.app.plugins.settings
    monkeypatch.setattr(people.app.plugins, "settings", dataclasses.replace(settings, reliefs=settings.reliefs + (
        Relief("Diskon uji", first, add_months(first, 2), ("JKK", "JKM"), 5000, ("petani",)),)))
    old = enrol_pringsewu(people, _apbd(people), pringsewu_worker(people), start=first, months=12)
    _pay_all(people, old)
    [row] = [r for r in arrears.ending_soon(people.db, people.app.plugins, actor=people.actor).rows if r["id"] == old]
    made = arrears.renew(people.db, people.app.plugins, old, actor=people.actor,
                         given={"bhp_position": "", "election_role": "KPPS"})
    billed = [line["amount"] for line in queries.lines_of(people.db, made)]
    assert row["monthly_amount"] * 2 == billed[0], "the old first month was half price"
    assert row["renewal_amounts"] == billed


@pytest.mark.unchecked  # lines marked paid without payments, on purpose
def test_the_renewal_plan_says_what_renew_refuses_a_payment_period_the_scheme_no_longer_allows(people, monkeypatch):
    """``renew`` checks the old payment period again (``enrol``); ``renewal_plan``, what the
    Tunggakan confirmation shows before "Ya, perpanjang", left it out: the confirmation said
    nothing was wrong and "Ya" was refused."""
    import dataclasses

    from shipped_schemes import PRINGSEWU
    old = enrol_pringsewu(people, _apbd(people), pringsewu_worker(people), start=add_months(current_month(), -11),
                          months=12)
    _pay_all(people, old)
    given = {"bhp_position": "", "election_role": "KPPS"}
    registry = people.app.plugins
    assert arrears.renewal_plan(people.db, registry, old, actor=people.actor, given=given).ok
    period = queries.sponsorship(people.db, old, EVERYTHING)["payment_period"]
    others = tuple(p for p in people.app.settings.payment_periods if p != period)
    monkeypatch.setitem(registry.schemes, PRINGSEWU,
                        dataclasses.replace(registry.scheme(PRINGSEWU), payment_periods=others))
    plan = arrears.renewal_plan(people.db, registry, old, actor=people.actor, given=given)
    assert [p.rule for p in plan.problems] == ["payment_period"], plan.problems
    with pytest.raises(ValidationError, match="Periode pembayaran"):
        arrears.renew(people.db, registry, old, actor=people.actor, given=given)
