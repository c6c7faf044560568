"""Claims (``payung.finance.claims``): a claim in an unpaid month is recorded with a warning,
benefits are set against the contributions paid."""

import datetime as dt

import pytest

from db import billing
from db.scope import EVERYTHING
from payung.auth.access import Actor
from payung.base.errors import ValidationError
from payung.finance import bills, claims
from payung.finance.payments import record_payment

from shipped_schemes import PRINGSEWU, enrol_pringsewu, pringsewu_worker


def test_claim_in_an_unpaid_month_is_recorded_with_a_warning(people):
    apbd = people.sponsor("apbd_kabupaten", regency_code="18.10")
    worker = pringsewu_worker(people)
    enrol_pringsewu(people, apbd, worker)
    party = bills.parties(people.db, people.app.plugins, PRINGSEWU, "2025-01", actor=Actor.system())[0]["party_key"]
    record_payment(people.db, people.app.plugins, scheme_code=PRINGSEWU, party_key=party, amount=16_800,
                   paid_on=dt.date(2025, 2, 1), actor=people.actor, from_month="2025-01", to_month="2025-01",
                   today=dt.date(2025, 2, 1))
    paid_month = {"worker_id": worker, "program": "JKK", "incident_date": dt.date(2025, 1, 20), "status": "dibayar",
                  "benefit_amount": 4_500_000, "paid_on": dt.date(2025, 2, 20)}
    claim_id, warnings = claims.record_claim(people.db, paid_month, actor=people.actor)
    assert warnings == [] and billing.claims(people.db, scope=EVERYTHING)[0]["sponsorship_id"] is not None
    unpaid = paid_month | {"program": "JKM", "incident_date": dt.date(2025, 2, 3), "status": "diajukan",
                           "benefit_amount": 0, "paid_on": None}
    _, warnings = claims.record_claim(people.db, unpaid, actor=people.actor)
    assert warnings == ["Iuran Februari 2025 untuk Pekerja 2 belum lunas (dibayar Rp0 dari Rp16.800): bulan kejadian "
                        "tidak terlindungi kecuali tunggakan dibayar dalam batas waktunya."]
    _, warnings = claims.record_claim(people.db, unpaid | {"incident_date": dt.date(2024, 6, 1)}, actor=people.actor)
    assert "tidak ditanggung skema mana pun pada Juni 2024" in warnings[0]
    with pytest.raises(ValidationError) as refused:
        claims.record_claim(people.db, paid_month | {"benefit_amount": 0, "paid_on": None}, actor=people.actor)
    assert {p.rule for p in refused.value.problems} == {"benefit_required", "paid_on_required"}
    totals = claims.benefits_against_contributions(people.db, scheme_code=PRINGSEWU, actor=Actor.system())
    assert totals == {"contributions_paid": 16_800, "benefits_paid": 4_500_000, "claims": 1}
    assert claims.benefits_against_contributions(people.db, worker_id=worker, actor=Actor.system())["benefits_paid"] == 4_500_000
    claims.update_claim(people.db, claim_id, status="ditolak", benefit_amount=0, paid_on=None, actor=people.actor)
    assert claims.benefits_against_contributions(people.db, scheme_code=PRINGSEWU, actor=Actor.system())["benefits_paid"] == 0
