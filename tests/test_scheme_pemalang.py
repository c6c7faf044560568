"""Mesra dengan Mansur (Pemalang): foster parents, pillars, DBHCHT for ages 55-65, pledges."""

import datetime as dt

import pytest

from conftest import rules_of

CODE = "pemalang_mesra"
VILLAGE = "33.27.01.2001"
FIELDS = {"sponsor_category": "perorangan", "pledge": 5, "pillar": "masyarakat"}


@pytest.fixture
def parent(people):
    return people.sponsor("perorangan")


def test_foster_parent_adopts_a_vulnerable_worker(people, parent):
    assert people.enrol(CODE, parent, people.worker(VILLAGE, "nelayan"), fields=FIELDS, months=6)


def test_pemalang_refuses_worker_living_elsewhere(people, parent):
    problems = people.refused(CODE, parent, people.worker("33.24.01.2001"), fields=FIELDS)
    assert rules_of(problems) == ["worker_lives_in_regency"] and "Kabupaten Pemalang" in problems[0].message


def test_pemalang_refuses_occupation_not_eligible(people, parent):
    problems = people.refused(CODE, parent, people.worker(VILLAGE, "tenaga_non_asn"), fields=FIELDS)
    assert rules_of(problems) == ["worker_occupation_in"] and "Tenaga non-ASN" in problems[0].message


def test_pemalang_refuses_wage_earner(people, parent):
    problems = people.refused(CODE, parent, people.worker(VILLAGE, wage_earner=True), fields=FIELDS)
    assert rules_of(problems) == ["worker_not_wage_earner"] and "penerima upah" in problems[0].message


def test_pemalang_commitment_is_6_or_12_months(people, parent):
    problems = people.refused(CODE, parent, people.worker(VILLAGE), fields=FIELDS, months=3)
    assert rules_of(problems) == ["months_in"] and "12 atau 6 bulan" in problems[0].message


def test_dbhcht_pays_only_for_workers_aged_55_to_65(people, parent):
    young = people.worker(VILLAGE, born=dt.date(1985, 1, 1))
    problems = people.refused(CODE, parent, young, fields=FIELDS | {"pillar": "dbhcht"})
    assert rules_of(problems) == ["worker_age_between"] and "55 sampai 65" in problems[0].message
    older = people.worker(VILLAGE, born=dt.date(1965, 1, 1))
    assert people.enrol(CODE, parent, older, fields=FIELDS | {"pillar": "dbhcht"})


def test_foster_parent_cannot_adopt_more_than_pledged(people, parent):
    pledge = FIELDS | {"pledge": 1}
    people.enrol(CODE, parent, people.worker(VILLAGE), fields=pledge)
    problems = people.refused(CODE, parent, people.worker(VILLAGE), fields=pledge)
    assert rules_of(problems) == ["sponsor_limit"] and "janji orang tua asuh (1)" in problems[0].message


def test_pemalang_refuses_a_village_budget_as_foster_parent(people):
    village = people.sponsor("pemerintah_desa", village_code=VILLAGE)
    problems = people.refused(CODE, village, people.worker(VILLAGE), fields=FIELDS)
    assert rules_of(problems) == ["sponsor_type_in"]


def test_pemalang_requires_its_fields(people, parent):
    problems = people.refused(CODE, parent, people.worker(VILLAGE), fields={})
    assert {p.field for p in problems} == {"sponsor_category", "pledge", "pillar"}
