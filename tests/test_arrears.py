"""Arrears and renewals (``payung.enrolment.arrears``): the late list by party with the lapsed
workers, and a renewal that keeps the sponsor, scheme and fields."""

import datetime as dt

import pytest

from db import queries
from db.scope import EVERYTHING
from payung.auth.access import Actor
from payung.base.errors import ValidationError
from payung.base.months import add_months, current_month
from payung.enrolment import arrears
from payung.finance.payments import record_payment

from shipped_schemes import PRINGSEWU, enrol_pringsewu, pringsewu_worker


def test_late_list_groups_arrears_by_party_and_lists_lapsed_workers(people):
    today = dt.date(2025, 6, 20)  # May fell due on 15 June
    apbd = people.sponsor("apbd_kabupaten", regency_code="18.10", name="APBD Pringsewu")
    first = enrol_pringsewu(people, apbd, pringsewu_worker(people), start="2025-04", months=6)
    lapsed = enrol_pringsewu(people, apbd, pringsewu_worker(people), start="2024-11", months=12)
    enrol_pringsewu(people, apbd, pringsewu_worker(people), start="2025-04", months=6)
    # One month's contribution for April settles the first April line in the bill's order.
    record_payment(people.db, people.app.plugins, scheme_code=PRINGSEWU, party_key="-", amount=16_800,
                   paid_on=today, actor=people.actor, from_month="2025-04", to_month="2025-04", today=today)
    assert [l["paid_amount"] for l in queries.lines_of(people.db, first)][:2] == [16_800, 0]
    listed = arrears.late_list(people.db, people.app.plugins, today=today, actor=Actor.system())
    # Still owed: the first worker's May, the third worker's April and May (payable until the
    # 15 August limit of April). The lapsed worker ran seven unpaid months (November-May): the
    # membership ended and none of it is payable.
    assert [(r["party"], r["workers"], r["lines"], r["amount"], r["oldest"], r["pay_by"]) for r in listed.parties] == [
        ("(tanpa pos anggaran)", 2, 3, 50_400, "2025-04", dt.date(2025, 8, 15))]
    assert listed.total_open == 50_400
    assert [(r["worker_id"], r["months"], r["first"], r["last"]) for r in listed.lapsed] == [
        (queries.sponsorship(people.db, lapsed, EVERYTHING)["worker_id"], 7, "2024-11", "2025-05")]


def test_renewal_keeps_sponsor_scheme_and_fields(people):
    apbd = people.sponsor("apbd_kabupaten", regency_code="18.10")
    this_month = current_month()
    ending = enrol_pringsewu(people, apbd, pringsewu_worker(people), start=add_months(this_month, -4), months=6)
    rows = arrears.ending_next_month(people.db, people.app.plugins, actor=people.actor)
    assert [r["id"] for r in rows] == [ending]
    renewed = arrears.renew(people.db, people.app.plugins, ending, actor=people.actor)
    old, new = queries.sponsorship(people.db, ending, EVERYTHING), queries.sponsorship(people.db, renewed, EVERYTHING)
    assert new["start_month"] == add_months(old["end_month"], 1) and new["months"] == 6
    assert (new["sponsor_id"], new["scheme_code"], new["fields"], new["programs"]) == (
        old["sponsor_id"], old["scheme_code"], old["fields"], old["programs"])
    assert arrears.ending_next_month(people.db, people.app.plugins, actor=people.actor) == []
    with pytest.raises(ValidationError, match="sudah ditanggung"):
        arrears.renew(people.db, people.app.plugins, ending, actor=people.actor)
